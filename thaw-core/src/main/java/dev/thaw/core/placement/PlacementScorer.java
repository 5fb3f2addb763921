package dev.thaw.core.placement;

import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Scores nodes for a cold start of a revision. Pure and bounded (linear in the number of nodes):
 * the gateway and the Kubernetes extender use the same instances.
 *
 * <p>Scores lie in [0, 1]. Nodes that are unhealthy or at capacity are infeasible: they are never
 * scored, so no bonus can send work to an overloaded node.
 *
 * <ul>
 *   <li>{@link #spreading()} — {@code 1 - load}: the least loaded node wins, like Kubernetes'
 *       default least-allocated scoring.
 *   <li>{@link #snapshotAware(double)} — {@code (1 - w) (1 - load) + w [cached]}: a node that
 *       caches the revision gets a bonus {@code w}. With {@code w = 0.5}, a cached node wins unless
 *       it is more loaded than an uncached one by more than its whole bonus: at equal load it
 *       always wins, and it loses only to a node whose load is lower by more than {@code w / (1 -
 *       w)} = 1 (never, for w = 0.5, while it has room).
 * </ul>
 */
public interface PlacementScorer {
  /**
   * The score of one feasible node: {@code load} its share of capacity in use (0..1), {@code
   * cached} whether it holds the revision's snapshot. Every scorer here is monotone: never higher
   * for a higher load, never lower for a cached node — which lets a simulator of thousands of nodes
   * look only at the least loaded node and at the nodes caching the revision.
   */
  double value(double load, boolean cached);

  /** Scores of the feasible nodes, best first (equal scores: by node name). */
  default List<NodeScore> score(String revision, List<NodeState> nodes) {
    Comparator<NodeScore> best =
        Comparator.comparingDouble(NodeScore::value).reversed().thenComparing(NodeScore::node);
    return nodes.stream()
        .filter(NodeState::feasible)
        .map(
            n -> {
              boolean cached = n.cachedRevisions().contains(revision);
              return new NodeScore(n.node(), value(n.load(), cached), cached);
            })
        .sorted(best)
        .toList();
  }

  /** The best feasible node, or empty when every node is unhealthy or at capacity. */
  default Optional<String> pick(String revision, List<NodeState> nodes) {
    List<NodeScore> ranked = score(revision, nodes);
    return ranked.isEmpty() ? Optional.empty() : Optional.of(ranked.get(0).node());
  }

  /** Spreads by load only. */
  static PlacementScorer spreading() {
    return snapshotAware(0);
  }

  /** Load plus a locality bonus of {@code weight} (0..1) for nodes caching the revision. */
  static PlacementScorer snapshotAware(double weight) {
    if (weight < 0 || weight > 1) {
      throw new IllegalArgumentException("weight must be within 0..1: " + weight);
    }
    return (load, cached) -> (1 - weight) * (1 - load) + (cached ? weight : 0);
  }

  /**
   * {@code default} (spreading), {@code snapshot-aware} (bonus 0.5) or {@code expected-time}: that
   * policy ranks by {@link ExpectedStart}, and its scorer (snapshot-aware) is what a caller without
   * the timings it needs uses, such as the Kubernetes extender.
   */
  static PlacementScorer named(String name) {
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "default", "spreading" -> spreading();
      case "snapshot-aware", ExpectedStart.POLICY -> snapshotAware(0.5);
      default ->
          throw new IllegalArgumentException(
              "placement policy must be default, snapshot-aware or expected-time: '" + name + "'");
    };
  }
}
