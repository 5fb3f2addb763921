package dev.thaw.node.gateway;

import dev.thaw.core.function.Revision;
import dev.thaw.core.placement.ExpectedStart;
import dev.thaw.core.placement.NodeScore;
import dev.thaw.core.placement.NodeState;
import dev.thaw.core.placement.NodeTimes;
import dev.thaw.core.placement.PlacementScorer;
import dev.thaw.core.placement.StartMedians;
import dev.thaw.node.protocol.RevisionLoad;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.ToLongFunction;

/**
 * The order in which the gateway offers one invocation to the nodes, from what it last saw of them.
 *
 * <p>With a {@link PlacementScorer} alone: first the healthy nodes with an idle warm instance of
 * the revision (by name), then every feasible node as the scorer ranks it for a cold start, equal
 * scores in random order.
 *
 * <p>With {@link ExpectedStart} (the {@code expected-time} policy): the nodes by the expected wait
 * until an instance serves the invocation there, soonest first, equal waits in random order. When
 * the soonest is an instance busy now, the {@link Plan} says so: the router holds the invocation in
 * its queue until that instance (or any sooner way) frees, rather than starting one. A clone being
 * made is waited for on its node, by its agent.
 *
 * <p>Either way, when every node looked full, the healthy ones by name: the agents know better than
 * the last poll. Down nodes are never offered; an empty order means every node is down. Pure: it
 * decides from the views it is given and asks no node.
 */
final class Placement {
  private final PlacementScorer scorer;
  private final Random random;
  private final Optional<ExpectedStart> expected;

  /**
   * One invocation's plan.
   *
   * @param order the nodes to offer it to, best first
   * @param busy present when the soonest way is an instance busy now: wait in the queue for it
   */
  record Plan(List<String> order, Optional<ExpectedStart.Choice> busy) {}

  Placement(PlacementScorer scorer, Random random) {
    this(scorer, random, Optional.empty());
  }

  Placement(PlacementScorer scorer, Random random, Optional<ExpectedStart> expected) {
    this.scorer = scorer;
    this.random = random;
    this.expected = expected;
  }

  /** The nodes to try for {@code revision}, best first, never waiting for a busy instance. */
  List<String> order(Revision revision, Map<String, NodeViews.View> views) {
    return plan(revision, views, 0, false).order();
  }

  /**
   * The plan for {@code revision}.
   *
   * @param queuedAhead invocations of it waiting in the gateway's queue ahead of this one
   * @param mayWait whether the invocation may wait in the queue for a busy instance
   */
  Plan plan(
      Revision revision, Map<String, NodeViews.View> views, int queuedAhead, boolean mayWait) {
    List<String> order = new ArrayList<>();
    Optional<ExpectedStart.Choice> busy = Optional.empty();
    if (expected.isPresent()) {
      List<ExpectedStart.Choice> ranked =
          expected.get().rank(times(revision, views, System.nanoTime()), queuedAhead);
      if (!mayWait) {
        ranked = ranked.stream().filter(c -> c.way() != ExpectedStart.Way.BUSY).toList();
      }
      if (!ranked.isEmpty() && ranked.get(0).way() == ExpectedStart.Way.BUSY) {
        busy = Optional.of(ranked.get(0));
      }
      tiesShuffled(ranked, ExpectedStart.Choice::expectedMs).forEach(c -> order.add(c.node()));
    } else {
      views.entrySet().stream()
          .filter(e -> e.getValue().healthy() && e.getValue().warm().containsKey(revision.value()))
          .map(Map.Entry::getKey)
          .sorted()
          .forEach(order::add);
      List<NodeState> states = new ArrayList<>();
      views.forEach((n, v) -> states.add(v.state(n)));
      for (NodeScore s :
          tiesShuffled(scorer.score(revision.value(), states), v -> scaled(v.value()))) {
        if (!order.contains(s.node())) {
          order.add(s.node());
        }
      }
    }
    if (order.isEmpty()) {
      views.entrySet().stream()
          .filter(e -> e.getValue().healthy())
          .map(Map.Entry::getKey)
          .sorted()
          .forEach(order::add);
    }
    return new Plan(order, busy);
  }

  /**
   * Each healthy node as {@link ExpectedStart} reads it: its report of the revision aged by the
   * time since (every busy instance and clone that much further along), its idle instances as the
   * gateway last saw them (a node that has just served counts as warm until the next poll).
   */
  static List<NodeTimes> times(Revision revision, Map<String, NodeViews.View> views, long now) {
    boolean anywhere = views.values().stream().anyMatch(v -> v.cached().contains(revision.value()));
    List<NodeTimes> out = new ArrayList<>();
    views.forEach(
        (node, v) -> {
          if (!v.healthy()) {
            return;
          }
          boolean room = v.active() < v.capacity();
          boolean cached = v.cached().contains(revision.value());
          boolean remote = v.remote() && anywhere;
          int warm = v.warm().getOrDefault(revision.value(), 0);
          RevisionLoad load = v.loads().get(revision.value());
          if (load == null) {
            out.add(
                new NodeTimes(
                    node, room, warm, List.of(), List.of(), 0, cached, remote, StartMedians.NONE));
            return;
          }
          long aged = Math.max(0, TimeUnit.NANOSECONDS.toMillis(now - v.seenAt()));
          NodeTimes t = load.times(node, room, cached, remote, aged);
          out.add(
              new NodeTimes(
                  node,
                  room,
                  warm,
                  t.busyMs(),
                  t.clonesMs(),
                  t.waiting(),
                  cached,
                  remote,
                  t.medians()));
        });
    return out;
  }

  private static long scaled(double score) {
    return Math.round(score * 1e9);
  }

  /**
   * Shuffles runs of equal keys, as kube-scheduler picks at random among its best nodes: otherwise
   * every tie would go to the same node and locality would come from the tie-break.
   */
  private <T> List<T> tiesShuffled(List<T> ranked, ToLongFunction<T> key) {
    List<T> out = new ArrayList<>(ranked.size());
    int i = 0;
    while (i < ranked.size()) {
      int j = i;
      long k = key.applyAsLong(ranked.get(i));
      while (j < ranked.size() && key.applyAsLong(ranked.get(j)) == k) {
        j++;
      }
      List<T> run = new ArrayList<>(ranked.subList(i, j));
      synchronized (random) {
        Collections.shuffle(run, random);
      }
      out.addAll(run);
      i = j;
    }
    return out;
  }
}
