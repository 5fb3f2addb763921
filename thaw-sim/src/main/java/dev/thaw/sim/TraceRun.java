package dev.thaw.sim;

import java.util.Objects;

/**
 * What {@code thaw bench trace --json} writes under {@code "benchTrace"}: the replay's options and
 * the starts the real agents reported, so that {@code thaw simulate --against} can replay the very
 * same invocations on the model and set both side by side. One record for the writer and the
 * reader.
 *
 * @param trace the trace directory replayed
 * @param functions functions sampled
 * @param minutes trace minutes, FROM-TO
 * @param minuteMillis how long a trace minute lasted in the replay
 * @param spread arrivals within a minute
 * @param nodes agents
 * @param maxInstances instances per agent
 * @param mode snapshot mode of the agents
 * @param placement the gateway's placement
 * @param keepAliveMs the agents' (fixed) keep-alive
 * @param cacheBytesPerNode the agents' cache bound
 * @param seed seed of sampling and arrivals
 * @param counts what the agents reported
 * @param cores cores of the machine all the agents ran on, sharing them; 0 when not recorded
 */
public record TraceRun(
    String trace,
    int functions,
    String minutes,
    long minuteMillis,
    String spread,
    int nodes,
    int maxInstances,
    String mode,
    String placement,
    long keepAliveMs,
    long cacheBytesPerNode,
    long seed,
    StartCounts counts,
    int cores) {
  public TraceRun {
    Objects.requireNonNull(trace, "trace");
    Objects.requireNonNull(minutes, "minutes");
    Objects.requireNonNull(counts, "counts");
    if (cores < 0) {
      throw new IllegalArgumentException("cores must not be negative, not " + cores);
    }
  }

  /**
   * Invocations by how they started.
   *
   * @param errors invocations that failed or were refused (not counted as starts)
   */
  public record StartCounts(
      long invocations,
      long warm,
      long localRestores,
      long remoteRestores,
      long boots,
      long errors) {

    /** Share of restores from the node's own cache, 0..1. */
    public double localHitShare() {
      long restores = localRestores + remoteRestores;
      return restores == 0 ? 0 : (double) localRestores / restores;
    }

    public static StartCounts of(SimResult r) {
      return new StartCounts(
          r.invocations(),
          r.warm(),
          r.localRestores(),
          r.remoteRestores(),
          r.boots(),
          r.rejected());
    }
  }
}
