package dev.thaw.core.placement;

/**
 * A node's score for one cold start.
 *
 * @param node the node
 * @param value the score in [0, 1]: higher is better
 * @param cached whether the node holds the revision's snapshot
 */
public record NodeScore(String node, double value, boolean cached) {
  /** Highest score of a kube-scheduler extender (MaxExtenderPriority). */
  public static final int MAX_EXTENDER_SCORE = 10;

  /** The score on the extender's integer scale 0..10. */
  public int extenderScore() {
    return (int) Math.round(value * MAX_EXTENDER_SCORE);
  }
}
