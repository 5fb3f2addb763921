package dev.thaw.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.thaw.core.snapshot.SnapshotMode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The peer model: who serves a fetch, at what bound, and what it counts. */
class PeerFetchesTest {
  /** 10 MiB read per fetch of a 256 MiB guest ({@link SimulatorTest#MODEL}). */
  static final long BYTES = 10L << 20;

  final Workload w = SimulatorTest.workload(2, 0, 0);
  final StartTally tally = new StartTally();
  long now;

  SimConfig config(Peers peers) {
    return SimulatorTest.config(4, 10L << 30, "default", SnapshotMode.REMOTE).toBuilder()
        .peers(peers)
        .build();
  }

  SnapshotLocations locations(SimConfig c) {
    return new SnapshotLocations(w, c, SimulatorTest.MODEL, () -> now);
  }

  SimResult.Fetches counted(SimConfig c) {
    return tally.result(c, 1).fetches();
  }

  @Test
  void aSnapshotNoPeerHoldsComesFromStorage() {
    SimConfig c = config(Peers.on());
    SnapshotLocations at = locations(c);
    PeerFetches peers = new PeerFetches(w, c, SimulatorTest.MODEL, at, tally);
    assertThat(peers.fetch(0, 1, now, 100)).isZero();
    SimResult r = tally.result(c, 1);
    assertThat(r.remoteBytes()).isEqualTo(BYTES);
    assertThat(r.fetches().storageRequests()).isEqualTo(StorageRequests.perFetch(BYTES));
    assertThat(r.fetches().peerRequests()).isZero();
    assertThat(r.fetches().peerBytes()).isZero();
  }

  @Test
  void aPeerAtItsBoundSendsTheNextReaderToStorage() {
    SimConfig c = config(Peers.on());
    SnapshotLocations at = locations(c);
    at.cache(0, 0);
    PeerFetches peers = new PeerFetches(w, c, SimulatorTest.MODEL, at, tally);
    // 10 MiB at a quarter of 10 Gbit/s: 33.6 ms, which a 100 ms fetch from storage saves less.
    double transfer = Peers.on().transferMs(BYTES);
    assertThat(transfer).isCloseTo(33.55, within(0.01));
    for (int reader = 1; reader <= Peers.UPLOADS; reader++) {
      assertThat(peers.fetch(0, 1 + reader % 3, now, 100)).isCloseTo(100 - transfer, within(1e-9));
    }
    SimResult.Fetches served = counted(c);
    assertThat(served.peerFetches()).isEqualTo(Peers.UPLOADS);
    assertThat(served.peerBytes()).isEqualTo(Peers.UPLOADS * BYTES);
    assertThat(served.storageRequests()).isZero();

    // The fifth at once: node 0 is its only peer, at its bound; asked and refused, then storage.
    assertThat(peers.fetch(0, 2, now, 100)).isZero();
    SimResult.Fetches refused = counted(c);
    assertThat(refused.peerRequests()).isEqualTo(Peers.UPLOADS + 1);
    assertThat(refused.peerFetches()).isEqualTo(Peers.UPLOADS);
    assertThat(refused.storageRequests()).isEqualTo(StorageRequests.perFetch(BYTES));

    // Once its uploads are done, the peer serves again.
    now += Math.round(transfer);
    assertThat(peers.fetch(0, 3, now, 100)).isPositive();
    assertThat(counted(c).peerFetches()).isEqualTo(Peers.UPLOADS + 1);
  }

  @Test
  void aReaderAsksTwoPeersAndNoMore() {
    SimConfig c = config(new Peers(true, 1, 2, Peers.BYTES_PER_SECOND));
    SnapshotLocations at = locations(c);
    at.cache(0, 0);
    at.cache(0, 1);
    at.cache(0, 2);
    PeerFetches peers = new PeerFetches(w, c, SimulatorTest.MODEL, at, tally);
    // Three holders of one upload each: three readers are served, whichever two each asks.
    int served = 0;
    for (int k = 0; k < 3; k++) {
      served += peers.fetch(0, 3, now, 100) != 0 ? 1 : 0;
    }
    SimResult.Fetches three = counted(c);
    // A reader goes to storage only when both it asked were busy: it never asks a third.
    assertThat(three.peerFetches() + three.storageRequests() / StorageRequests.perFetch(BYTES))
        .isEqualTo(3);
    assertThat(three.peerFetches()).isEqualTo(served).isGreaterThanOrEqualTo(2);
    assertThat(peers.fetch(0, 3, now, 100)).isZero();
    SimResult.Fetches four = counted(c);
    assertThat(four.peerRequests() - three.peerRequests()).isEqualTo(2);
  }

  @Test
  void theReaderItselfAndANodeStillFetchingAreNotAsked() {
    SimConfig c = config(Peers.on());
    SnapshotLocations at = locations(c);
    at.cache(0, 1);
    PeerFetches peers = new PeerFetches(w, c, SimulatorTest.MODEL, at, tally);
    // Node 1 caches the snapshot as its fetch begins (the simulator admits it at once): itself
    // it does not ask, and while its fetch from storage (100 ms) lasts it serves nobody.
    assertThat(peers.fetch(0, 1, now, 100)).isZero();
    assertThat(peers.fetch(0, 2, now + 50, 100)).isZero();
    assertThat(counted(c).peerRequests()).isZero();
    assertThat(peers.fetch(0, 2, now + 100, 100)).isPositive();
    assertThat(counted(c).peerFetches()).isEqualTo(1);
  }

  @Test
  void peersOffSendEveryFetchToStorage() {
    SimConfig c = config(Peers.OFF);
    SnapshotLocations at = locations(c);
    at.cache(0, 0);
    PeerFetches peers = new PeerFetches(w, c, SimulatorTest.MODEL, at, tally);
    assertThat(peers.fetch(0, 1, now, 100)).isZero();
    assertThat(counted(c).peerRequests()).isZero();
    assertThat(counted(c).storageRequests()).isEqualTo(StorageRequests.perFetch(BYTES));
  }

  @Test
  void aFetchMakesTheRequestsOfTheNodesChunkedFetch() {
    // The committed model's 13.4 MiB: manifest, pack index and eight ranges of 1.7 MiB.
    assertThat(StorageRequests.perFetch(14_050_918)).isEqualTo(10);
    // Under 2 MiB the ranges are 256 KiB: 1 MiB in four.
    assertThat(StorageRequests.perFetch(1 << 20)).isEqualTo(6);
    assertThat(StorageRequests.perFetch(1000)).isEqualTo(3);
  }

  @Test
  void peersChangeWhoServesFetchesButNotWhereStartsGoNorTheirCounts() {
    // 64 nodes, default placement, f0 cold every 20 s (10 s keep-alive) and f1 alongside: the
    // cold starts spread over the nodes, most of them fetching the snapshot that a node booted
    // and others cached.
    long[] plan = new long[4 * 30];
    for (int k = 0; k < 30; k++) {
      plan[4 * k + 1] = k * 20_000L;
      plan[4 * k + 2] = 1;
      plan[4 * k + 3] = k * 20_000L + 3_000;
    }
    Workload day = SimulatorTest.workload(2, plan);
    SimConfig off = SimulatorTest.config(64, 10L << 30, "default", SnapshotMode.REMOTE);
    List<Integer> placedOff = new ArrayList<>();
    List<Integer> placedOn = new ArrayList<>();
    SimResult without =
        new Simulator(day, off, SimulatorTest.MODEL).watchPlacement(log(placedOff)).run(l -> {});
    SimResult with =
        new Simulator(day, off.toBuilder().peers(Peers.on()).build(), SimulatorTest.MODEL)
            .watchPlacement(log(placedOn))
            .run(l -> {});
    assertThat(placedOn).isEqualTo(placedOff).hasSize(60);
    assertThat(with.remoteRestores()).isEqualTo(without.remoteRestores()).isGreaterThan(30);
    assertThat(with.boots()).isEqualTo(without.boots());
    assertThat(with.localRestores()).isEqualTo(without.localRestores());
    // Without peers every fetch is a storage fetch; with them, a node that caches it serves.
    assertThat(without.fetches().storageRequests())
        .isEqualTo(without.remoteRestores() * StorageRequests.perFetch(BYTES));
    assertThat(with.fetches().peerFetches()).isEqualTo(with.remoteRestores());
    assertThat(with.fetches().storageRequests()).isZero();
    assertThat(with.remoteBytes()).isZero();
    // Most cold starts are remote restores: 200 ms from storage, 100 + 33.6 from a peer.
    assertThat(without.fetches().p50ColdStartMs()).isCloseTo(200, within(1.0));
    assertThat(without.fetches().p99ColdStartMs()).isCloseTo(1000, within(6.0));
    assertThat(with.fetches().p99ColdStartMs()).isCloseTo(1000, within(6.0));
    assertThat(with.fetches().p50ColdStartMs()).isCloseTo(133.6, within(1.0));
  }

  private static Simulator.PlacementWatcher log(List<Integer> placed) {
    return (f, node) -> placed.add(f * 1000 + node);
  }
}
