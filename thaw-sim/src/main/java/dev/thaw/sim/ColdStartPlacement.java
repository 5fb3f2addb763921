package dev.thaw.sim;

import dev.thaw.core.placement.ExpectedStart;
import dev.thaw.core.placement.NodeTimes;
import dev.thaw.core.placement.PlacementScorer;
import dev.thaw.core.placement.StartMedians;
import dev.thaw.core.placement.StartPriors;
import dev.thaw.core.snapshot.SnapshotMode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Random;

/**
 * The node a cold start goes to, as the gateway's {@link PlacementScorer} would rank all nodes: the
 * scorer is monotone, so the best node is the least loaded one (a random one among equals, as the
 * gateway shuffles ties) or a node caching the snapshot; a caching node wins only with a strictly
 * higher score. A node's load counts every instance it runs, idle or busy. When every node is full,
 * a node with an idle instance makes room (the agent stops its least recently used idle instance),
 * one caching the snapshot if one does. Decisions only: the simulator starts and stops.
 *
 * <p>With the {@code expected-time} policy, the gateway's {@link ExpectedStart} decides instead,
 * from the model's medians: a cold start goes where a new instance is expected to serve soonest (a
 * caching node's local restore, else the least loaded node's remote restore or boot), and an
 * invocation that finds no idle instance waits for a clone being made after a boot ({@link
 * #waitForClone}) when that clone is expected sooner than any new instance, one invocation per
 * clone, as an agent holds it. Waiting for a busy instance is not modelled.
 */
final class ColdStartPlacement {
  private final PlacementScorer scorer;
  private final boolean scoresLocality;
  private final LoadIndex load;
  private final SnapshotLocations snapshots;
  private final IdleLists idle;
  private final Random random;
  private final Optional<ExpectedStart> expected;
  private final StartMedians medians;
  private final boolean remote;

  /** Clones being made, per function; each with the invocation waiting for it, if one is. */
  private final Map<Integer, List<Clone>> clones = new HashMap<>();

  /**
   * An invocation waiting for a clone.
   *
   * @param work its run, in ms
   * @param since when it arrived
   */
  record Waiter(long work, long since) {}

  private static final class Clone {
    final int instance;
    final int node;
    final long since;
    Waiter waiter;

    Clone(int instance, int node, long since) {
      this.instance = instance;
      this.node = node;
      this.since = since;
    }
  }

  ColdStartPlacement(
      SimConfig config,
      SimModel model,
      LoadIndex load,
      SnapshotLocations snapshots,
      IdleLists idle,
      Random random) {
    this.scorer = PlacementScorer.named(config.placement());
    // A scorer that gives caching no bonus ranks by load alone: no need to visit caching nodes.
    this.scoresLocality = scorer.value(0.5, true) > scorer.value(0.5, false);
    this.load = load;
    this.snapshots = snapshots;
    this.idle = idle;
    this.random = random;
    this.expected =
        ExpectedStart.POLICY.equals(config.placement())
            ? Optional.of(new ExpectedStart(StartPriors.DEFAULT))
            : Optional.empty();
    this.medians =
        new StartMedians(
            OptionalLong.of(Math.round(model.boot().at(0.5))),
            OptionalLong.of(Math.round(model.localRestore().at(0.5))),
            OptionalLong.of(Math.round(model.remoteRestore().at(0.5))),
            OptionalLong.of(Math.round(model.snapshotMs())),
            OptionalLong.empty());
    this.remote = config.mode() == SnapshotMode.REMOTE;
  }

  /** The node the policy ranks first among those with room for a cold start of {@code f}, or -1. */
  int withRoom(int f) {
    if (expected.isPresent()) {
      List<ExpectedStart.Choice> ranked = expected.get().rank(candidates(f, -1), 0);
      return ranked.isEmpty() ? -1 : Integer.parseInt(ranked.get(0).node());
    }
    int best = load.leastLoaded(random);
    double bestValue = Double.NEGATIVE_INFINITY;
    if (best >= 0) {
      bestValue = scorer.value(load.load(best), snapshots.cachedOn(best, f));
    }
    for (int k = 0; scoresLocality && k < snapshots.cachingCount(f); k++) {
      int n = snapshots.cachingNode(f, k);
      if (!load.full(n)) {
        double v = scorer.value(load.load(n), true);
        if (v > bestValue) {
          best = n;
          bestValue = v;
        }
      }
    }
    return best;
  }

  /**
   * With {@code expected-time}: whether an invocation of {@code f} (of {@code work} ms, arrived
   * {@code now}) waits for a clone being made, sooner than any new instance; it then holds that
   * clone until {@link #cloneReady}.
   */
  boolean waitForClone(int f, long work, long now) {
    List<Clone> making = clones.get(f);
    if (expected.isEmpty() || making == null) {
      return false;
    }
    List<NodeTimes> nodes = candidates(f, now);
    Optional<ExpectedStart.Choice> best = expected.get().best(nodes, 0);
    if (best.isEmpty() || best.get().way() != ExpectedStart.Way.CLONE) {
      return false;
    }
    int node = Integer.parseInt(best.get().node());
    for (Clone c : making) {
      if (c.node == node && c.waiter == null) {
        c.waiter = new Waiter(work, now);
        return true;
      }
    }
    return false;
  }

  /** Instance {@code i} of {@code f} on {@code node} is being snapshotted; its clone will serve. */
  void cloneStarted(int i, int f, int node, long now) {
    if (expected.isPresent()) {
      clones.computeIfAbsent(f, k -> new ArrayList<>()).add(new Clone(i, node, now));
    }
  }

  /**
   * Instance {@code i}'s clone of {@code f} serves now: the invocation that waited for it, if any.
   */
  Optional<Waiter> cloneReady(int i, int f) {
    List<Clone> making = clones.get(f);
    if (making == null) {
      return Optional.empty();
    }
    for (int k = 0; k < making.size(); k++) {
      Clone c = making.get(k);
      if (c.instance == i) {
        making.remove(k);
        if (making.isEmpty()) {
          clones.remove(f);
        }
        return Optional.ofNullable(c.waiter);
      }
    }
    return Optional.empty();
  }

  /**
   * The nodes worth ranking for {@code f}: the least loaded, those caching its snapshot, and those
   * making a clone of it as they stand at {@code now} (none when {@code now} is negative: only new
   * instances are ranked).
   */
  private List<NodeTimes> candidates(int f, long now) {
    Map<Integer, List<Long>> making = new HashMap<>();
    Map<Integer, Integer> waiting = new HashMap<>();
    for (Clone c : now < 0 ? List.<Clone>of() : clones.getOrDefault(f, List.of())) {
      making.computeIfAbsent(c.node, k -> new ArrayList<>()).add(now - c.since);
      if (c.waiter != null) {
        waiting.merge(c.node, 1, Integer::sum);
      }
    }
    List<Integer> nodes = new ArrayList<>(making.keySet());
    int least = load.leastLoaded(random);
    if (least >= 0 && !nodes.contains(least)) {
      nodes.add(least);
    }
    for (int k = 0; k < snapshots.cachingCount(f); k++) {
      int n = snapshots.cachingNode(f, k);
      if (!load.full(n) && !nodes.contains(n)) {
        nodes.add(n);
      }
    }
    boolean inRemote = remote && snapshots.inRemote(f);
    List<NodeTimes> out = new ArrayList<>(nodes.size());
    for (int n : nodes) {
      out.add(
          new NodeTimes(
              Integer.toString(n),
              !load.full(n),
              0,
              List.of(),
              making.getOrDefault(n, List.of()),
              waiting.getOrDefault(n, 0),
              snapshots.cachedOn(n, f),
              inRemote,
              medians));
    }
    return out;
  }

  /**
   * When every node is full: the node that stops an idle instance to take a cold start of {@code
   * f}, a node caching the snapshot first, else a random full one with an idle instance; -1 when
   * every instance is busy.
   */
  int toMakeRoom(int f) {
    for (int k = 0; k < snapshots.cachingCount(f); k++) {
      int n = snapshots.cachingNode(f, k);
      if (idle.countOn(n) > 0) {
        return n;
      }
    }
    int full = load.fullCount();
    if (full == 0) {
      return -1;
    }
    int startAt = random.nextInt(full);
    for (int k = 0; k < full; k++) {
      int n = load.fullNode((startAt + k) % full);
      if (idle.countOn(n) > 0) {
        return n;
      }
    }
    return -1;
  }
}
