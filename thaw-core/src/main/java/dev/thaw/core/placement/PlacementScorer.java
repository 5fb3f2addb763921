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
  /** Scores of the feasible nodes, best first (equal scores: by node name). */
  List<NodeScore> score(String revision, List<NodeState> nodes);

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
    return (revision, nodes) -> {
      Comparator<NodeScore> best =
          Comparator.comparingDouble(NodeScore::value).reversed().thenComparing(NodeScore::node);
      return nodes.stream()
          .filter(NodeState::feasible)
          .map(
              n -> {
                boolean cached = n.cachedRevisions().contains(revision);
                double value = (1 - weight) * (1 - n.load()) + (cached ? weight : 0);
                return new NodeScore(n.node(), value, cached);
              })
          .sorted(best)
          .toList();
    };
  }

  /** {@code default} (spreading) or {@code snapshot-aware} (bonus 0.5). */
  static PlacementScorer named(String name) {
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "default", "spreading" -> spreading();
      case "snapshot-aware" -> snapshotAware(0.5);
      default ->
          throw new IllegalArgumentException(
              "placement policy must be default or snapshot-aware: '" + name + "'");
    };
  }
}
