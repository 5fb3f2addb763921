package dev.thaw.sim;

import dev.thaw.core.placement.PlacementScorer;
import java.util.Random;

/**
 * The node a cold start goes to, as the gateway's {@link PlacementScorer} would rank all nodes: the
 * scorer is monotone, so the best node is the least loaded one (a random one among equals, as the
 * gateway shuffles ties) or a node caching the snapshot; a caching node wins only with a strictly
 * higher score. A node's load counts every instance it runs, idle or busy. When every node is full,
 * a node with an idle instance makes room (the agent stops its least recently used idle instance),
 * one caching the snapshot if one does. Decisions only: the simulator starts and stops.
 */
final class ColdStartPlacement {
  private final PlacementScorer scorer;
  private final boolean scoresLocality;
  private final LoadIndex load;
  private final SnapshotLocations snapshots;
  private final IdleLists idle;
  private final Random random;

  ColdStartPlacement(
      PlacementScorer scorer,
      LoadIndex load,
      SnapshotLocations snapshots,
      IdleLists idle,
      Random random) {
    this.scorer = scorer;
    // A scorer that gives caching no bonus ranks by load alone: no need to visit caching nodes.
    this.scoresLocality = scorer.value(0.5, true) > scorer.value(0.5, false);
    this.load = load;
    this.snapshots = snapshots;
    this.idle = idle;
    this.random = random;
  }

  /** The node the scorer ranks first among those with room for a cold start of {@code f}, or -1. */
  int withRoom(int f) {
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
