package dev.thaw.bench.demo;

/**
 * One invocation of {@code thaw demo}, a line of its CSV. A refused invocation has the node, start,
 * source and placement empty, and says why in {@code error}; an answered one has {@code error}
 * empty unless its status was not 200.
 *
 * @param configuration the {@link DemoConfiguration#name() configuration} it ran under
 * @param round its round, from 1 (the round that creates the snapshots)
 * @param function the revision invoked
 * @param node the node that served it
 * @param start whether the instance was cold or warm, as the agent said
 * @param source where the instance came from ({@code none} for a boot, {@code local}, ...)
 * @param placementMs the gateway's placement time, formatted to three decimals
 * @param fetchMs the cold start's snapshot fetch time
 * @param startupMs the cold start's time to a running instance
 * @param latencyMs the time the gateway took to answer, as this process measured it
 * @param error why it failed, empty when it did not
 */
public record DemoInvocation(
    String configuration,
    int round,
    String function,
    String node,
    String start,
    String source,
    String placementMs,
    long fetchMs,
    long startupMs,
    double latencyMs,
    String error) {

  /** Whether this invocation counts in the cold-start figures: a cold start after round 1. */
  boolean measuredColdStart() {
    return round > 1 && start.equals("cold");
  }

  /** Whether its instance booted: a cold start without a snapshot. */
  public boolean booted() {
    return start.equals("cold") && source.equals("none");
  }

  /** Whether it failed (refused or answered with a status other than 200). */
  public boolean failed() {
    return !error.isEmpty();
  }
}
