package dev.thaw.node.gateway;

import dev.thaw.core.function.Revision;
import dev.thaw.core.placement.NodeScore;
import dev.thaw.core.placement.NodeState;
import dev.thaw.core.placement.PlacementScorer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The order in which the gateway offers one invocation to the nodes, from what it last saw of them:
 * first the healthy nodes with an idle warm instance of the revision (by name), then every feasible
 * node as the {@link PlacementScorer} ranks it for a cold start, equal scores in random order. When
 * every node looked full, the healthy ones by name: the agents know better than the last poll. Down
 * nodes are never offered; an empty order means every node is down.
 *
 * <p>Pure: it decides from the views it is given and asks no node.
 */
final class Placement {
  private final PlacementScorer scorer;
  private final Random random;

  Placement(PlacementScorer scorer, Random random) {
    this.scorer = scorer;
    this.random = random;
  }

  /** The nodes to try for {@code revision}, best first. */
  List<String> order(Revision revision, Map<String, NodeViews.View> views) {
    List<String> order = new ArrayList<>();
    views.entrySet().stream()
        .filter(e -> e.getValue().healthy() && e.getValue().warm().containsKey(revision.value()))
        .map(Map.Entry::getKey)
        .sorted()
        .forEach(order::add);
    List<NodeState> states = new ArrayList<>();
    views.forEach((n, v) -> states.add(v.state(n)));
    for (NodeScore s : tiesShuffled(scorer.score(revision.value(), states))) {
      if (!order.contains(s.node())) {
        order.add(s.node());
      }
    }
    if (order.isEmpty()) {
      views.entrySet().stream()
          .filter(e -> e.getValue().healthy())
          .map(Map.Entry::getKey)
          .sorted()
          .forEach(order::add);
    }
    return order;
  }

  /**
   * Shuffles runs of equal scores, as kube-scheduler picks at random among its best nodes:
   * otherwise every tie would go to the same node and locality would come from the tie-break.
   */
  private List<NodeScore> tiesShuffled(List<NodeScore> ranked) {
    List<NodeScore> out = new ArrayList<>(ranked.size());
    int i = 0;
    while (i < ranked.size()) {
      int j = i;
      while (j < ranked.size() && Math.abs(ranked.get(j).value() - ranked.get(i).value()) < 1e-9) {
        j++;
      }
      List<NodeScore> run = new ArrayList<>(ranked.subList(i, j));
      synchronized (random) {
        Collections.shuffle(run, random);
      }
      out.addAll(run);
      i = j;
    }
    return out;
  }
}
