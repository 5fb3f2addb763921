package dev.thaw.sim;

import dev.thaw.core.snapshot.SnapshotMode;
import java.util.Random;

/**
 * How an instance starts on a node and what it costs: a local restore, a remote one (from storage
 * or a peer, {@link PeerFetches}), or a boot, as the node's cache and remote storage allow; its
 * latency sampled from the model. Counts the start and marks a boot to be snapshotted after its
 * first answer.
 */
final class Starts {
  private final Workload w;
  private final SimConfig c;
  private final SimModel m;
  private final Random random;
  private final SnapshotLocations snapshots;
  private final PeerFetches fetches;
  private final StartTally tally;
  private final Instances in;

  Starts(
      Workload w,
      SimConfig c,
      SimModel m,
      Random random,
      SnapshotLocations snapshots,
      StartTally tally,
      Instances in) {
    this.w = w;
    this.c = c;
    this.m = m;
    this.random = random;
    this.snapshots = snapshots;
    this.tally = tally;
    this.in = in;
    this.fetches = new PeerFetches(w, c, m, snapshots, tally);
  }

  /**
   * Starts instance {@code i} of {@code f} on {@code node} at {@code now}, ahead of an invocation
   * (a pre-warm) or not.
   *
   * @return the modelled start latency
   */
  double start(int f, int node, int i, boolean ahead, long now) {
    double u = random.nextDouble();
    SnapshotLocations.Source source = snapshots.startOf(f, node);
    in.needsSnapshot[i] =
        !ahead && source == SnapshotLocations.Source.BOOT && c.mode() != SnapshotMode.DISABLED;
    tally.started(source, ahead);
    double ms =
        switch (source) {
          case LOCAL -> m.localRestore().at(u);
          case REMOTE -> m.remoteRestoreMs(u, w.guestBytes[f]);
          case BOOT -> m.boot().at(u);
        };
    in.fetchSavedMs[i] =
        source == SnapshotLocations.Source.REMOTE
            ? fetches.fetch(f, node, now, ms - m.localRestore().at(u))
            : 0;
    return ms;
  }

  /** {@code node} fetches {@code f}'s snapshot ahead into its cache (before it is cached there). */
  void prefetch(int f, int node, long now) {
    tally.prefetched();
    fetches.fetch(f, node, now, m.missCostMs(w.guestBytes[f]));
  }
}
