package dev.thaw.core.placement;

import java.util.Objects;
import java.util.Set;

/**
 * What placement knows of one node when a cold start arrives.
 *
 * @param node its name
 * @param healthy whether its last health check passed
 * @param activeInstances instances running on it now
 * @param capacityInstances instances it can run at once; a node at capacity is overloaded
 * @param cachedRevisions revisions whose snapshots it advertises
 */
public record NodeState(
    String node,
    boolean healthy,
    int activeInstances,
    int capacityInstances,
    Set<String> cachedRevisions) {
  public NodeState {
    Objects.requireNonNull(node, "node");
    cachedRevisions = Set.copyOf(Objects.requireNonNull(cachedRevisions, "cachedRevisions"));
    if (capacityInstances < 0 || activeInstances < 0) {
      throw new IllegalArgumentException("instance counts cannot be negative");
    }
  }

  /** Share of capacity in use, 0..1 (1 when the node has no capacity at all). */
  public double load() {
    return capacityInstances == 0 ? 1 : Math.min(1, (double) activeInstances / capacityInstances);
  }

  /** Whether a new instance may go here at all. */
  public boolean feasible() {
    return healthy && activeInstances < capacityInstances;
  }
}
