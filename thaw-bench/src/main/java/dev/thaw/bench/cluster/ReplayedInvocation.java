package dev.thaw.bench.cluster;

/**
 * One invocation of a replay as the gateway answered it: a row of {@code invocations.csv}.
 *
 * @param function the revision the invocation went to
 * @param invocation its place in the replay, from 0
 * @param minute the trace minute it belongs to
 * @param startMs when it was sent, in ms since the replay began
 * @param start {@code cold} or {@code warm}; empty when the gateway refused it
 * @param node the node that served it; empty when refused
 * @param source where a cold start's snapshot came from ({@code local}, {@code remote}) or {@code
 *     none} for a boot; empty when warm or refused
 * @param fetchMs the cold start's fetch of the snapshot, 0 when there was none
 * @param startupMs the cold start's restore or boot, 0 when warm
 * @param durationMs how long the function itself was asked to run
 * @param responseMs the response time the replay measured
 * @param error why it failed; empty when it succeeded
 */
public record ReplayedInvocation(
    String function,
    int invocation,
    int minute,
    long startMs,
    String start,
    String node,
    String source,
    long fetchMs,
    long startupMs,
    long durationMs,
    double responseMs,
    String error) {

  /** Latency the platform added: the response time less the function's own duration. */
  public double initMs() {
    return Math.max(0, responseMs - durationMs);
  }

  /** Whether it started cold (a restore or a boot). */
  public boolean cold() {
    return start.equals("cold");
  }

  /** Whether it failed. */
  public boolean failed() {
    return !error.isEmpty();
  }
}
