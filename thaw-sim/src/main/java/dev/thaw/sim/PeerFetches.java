package dev.thaw.sim;

import java.util.Arrays;
import java.util.Random;

/**
 * Who serves a node's remote fetch of a snapshot: a peer that caches it, or remote storage. The
 * reader asks up to {@link Peers#asked()} of the nodes caching the snapshot ({@link
 * SnapshotLocations}), drawn at random, one after the other; the first with an upload slot free
 * serves it. A peer serves at most {@link Peers#uploadsPerPeer()} uploads at once, each holding its
 * slot for {@link Peers#transferMs} of the snapshot's bytes. When no other node caches the
 * snapshot, or every one asked is at its bound, the fetch goes to storage ({@link StorageRequests}
 * requests). A node that is still fetching a snapshot does not serve it yet.
 *
 * <p>The timeline of the run does not depend on who served a fetch: the start takes the time the
 * model gives a fetch from storage, so that placement, and every start, is the same with peers as
 * without; {@link #fetch} returns how much sooner the start would have been ready, which the tally
 * takes off the start's latency. Decisions only, in primitive arrays; its own random stream, so the
 * run's draws are those of a run without peers.
 */
final class PeerFetches {
  private final Peers peers;
  private final SnapshotLocations snapshots;
  private final StartTally tally;
  private final Random random;
  private final long[] bytesOf;
  private final int[] requestsOf;
  private final double[] peerMsOf;
  private final long[] uploadEnds;
  private final int[] fetchingFn;
  private final long[] fetchedAt;
  private int[] candidates = new int[16];

  PeerFetches(Workload w, SimConfig c, SimModel m, SnapshotLocations snapshots, StartTally tally) {
    this.peers = c.peers();
    this.snapshots = snapshots;
    this.tally = tally;
    this.random = new Random(c.seed() * 31 + 7);
    int f = w.functions;
    bytesOf = new long[f];
    requestsOf = new int[f];
    peerMsOf = new double[f];
    for (int i = 0; i < f; i++) {
      bytesOf[i] = m.remoteBytes(w.guestBytes[i]);
      requestsOf[i] = StorageRequests.perFetch(bytesOf[i]);
      peerMsOf[i] = peers.transferMs(bytesOf[i]);
    }
    int nodes = peers.enabled() ? c.nodes() : 0;
    uploadEnds = new long[nodes * peers.uploadsPerPeer()];
    fetchingFn = new int[nodes];
    Arrays.fill(fetchingFn, -1);
    fetchedAt = new long[nodes];
  }

  /**
   * {@code node} fetches {@code f}'s snapshot at {@code now}, which from storage takes {@code
   * storageMs}. Call it before the snapshot is cached on {@code node}, or with {@code node} among
   * the nodes caching it: it is never asked.
   *
   * @return how many ms sooner the fetch ends than from storage (0 from storage; negative when a
   *     peer is slower)
   */
  double fetch(int f, int node, long now, double storageMs) {
    if (peers.enabled()) {
      int n = candidates(f, node, now);
      for (int k = 0; k < Math.min(peers.asked(), n); k++) {
        int pick = k + random.nextInt(n - k);
        int peer = candidates[pick];
        candidates[pick] = candidates[k];
        tally.peerAsked();
        if (takeSlot(peer, now + Math.round(peerMsOf[f]), now)) {
          tally.peerFetched(bytesOf[f]);
          fetching(node, f, now + Math.round(peerMsOf[f]));
          return storageMs - peerMsOf[f];
        }
      }
      fetching(node, f, now + Math.round(storageMs));
    }
    tally.storageFetched(bytesOf[f], requestsOf[f]);
    return 0;
  }

  /** Fills {@link #candidates} with the nodes other than {@code node} that can serve {@code f}. */
  private int candidates(int f, int node, long now) {
    int holders = snapshots.cachingCount(f);
    if (candidates.length < holders) {
      candidates = new int[Math.max(holders, candidates.length * 2)];
    }
    int n = 0;
    for (int k = 0; k < holders; k++) {
      int h = snapshots.cachingNode(f, k);
      if (h != node && (fetchingFn[h] != f || fetchedAt[h] <= now)) {
        candidates[n++] = h;
      }
    }
    return n;
  }

  /** Takes a free upload slot of {@code peer} until {@code until}; false when all are busy. */
  private boolean takeSlot(int peer, long until, long now) {
    int from = peer * peers.uploadsPerPeer();
    for (int s = from; s < from + peers.uploadsPerPeer(); s++) {
      if (uploadEnds[s] <= now) {
        uploadEnds[s] = until;
        return true;
      }
    }
    return false;
  }

  private void fetching(int node, int f, long until) {
    fetchingFn[node] = f;
    fetchedAt[node] = until;
  }
}
