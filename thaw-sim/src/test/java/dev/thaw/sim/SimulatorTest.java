package dev.thaw.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.thaw.core.snapshot.SnapshotMode;
import dev.thaw.core.trace.ReplayPlan;
import dev.thaw.core.trace.TraceFunction;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Tiny traces whose every start can be worked out by hand. */
class SimulatorTest {
  /** Boot 1000 ms, local restore 100, remote 200, warm 5, snapshot 500; guests of 256 MiB. */
  static final SimModel MODEL =
      new SimModel(
          Quantiles.constant(1000),
          Quantiles.constant(100),
          Quantiles.constant(200),
          5,
          500,
          256L << 20,
          10L << 20,
          1.0,
          2,
          List.of("test"));

  static TraceFunction function(String name) {
    double[] ms = {100, 100, 100, 100, 100, 100, 100};
    return new TraceFunction("o", "a", name, "http", new int[1440], ms, new double[0]);
  }

  /** Invocations of function 0..n as (function, at ms) pairs, 100 ms each, in one minute. */
  static Workload workload(int functions, long... fnAt) {
    List<TraceFunction> fs = new ArrayList<>();
    for (int f = 0; f < functions; f++) {
      fs.add(function("f" + f));
    }
    List<ReplayPlan.Invocation> inv = new ArrayList<>();
    for (int k = 0; k < fnAt.length; k += 2) {
      inv.add(new ReplayPlan.Invocation((int) fnAt[k], 0, fnAt[k + 1], 100));
    }
    return Workload.of(new ReplayPlan(inv, 1, 60_000), fs);
  }

  static SimConfig config(int nodes, long cacheBytes, String placement, SnapshotMode mode) {
    return SimConfig.builder()
        .nodes(nodes)
        .cacheBytesPerNode(cacheBytes)
        .placement(placement)
        .keepAliveWindow(Duration.ofSeconds(10))
        .mode(mode)
        .build();
  }

  @Test
  void bootsSnapshotsThenServesWarmAndRestoresLocally() {
    // 0: boot (ready at 1100, snapshot until 1600). 500: the snapshot is not there yet, another
    // boot on the other (empty) node. 3000: warm. 20000: both instances expired (10 s keep-alive),
    // both nodes cache the snapshot: a local restore.
    SimResult r =
        new Simulator(
                workload(1, 0, 0, 0, 500, 0, 3000, 0, 20_000),
                config(2, 10L << 30, "snapshot-aware", SnapshotMode.REMOTE),
                MODEL)
            .run(line -> {});
    assertThat(r.invocations()).isEqualTo(4);
    assertThat(r.boots()).isEqualTo(2);
    assertThat(r.warm()).isEqualTo(1);
    assertThat(r.localRestores()).isEqualTo(1);
    assertThat(r.remoteRestores()).isZero();
    assertThat(r.localHitShare()).isEqualTo(1.0);
    assertThat(r.p99StartMs()).isCloseTo(1000, within(6.0));
  }

  @Test
  void expectedTimeServesAnInvocationDuringTheSnapshotByItsCloneInsteadOfBooting() {
    // 0: boot, ready at 1100; snapshot and clone until 1600. 1200: no idle instance anywhere.
    Workload w = workload(1, 0, 0, 0, 1200);
    SimResult spread =
        new Simulator(w, config(2, 10L << 30, "snapshot-aware", SnapshotMode.REMOTE), MODEL)
            .run(line -> {});
    assertThat(spread.boots()).isEqualTo(2);
    SimResult expected =
        new Simulator(w, config(2, 10L << 30, "expected-time", SnapshotMode.REMOTE), MODEL)
            .run(line -> {});
    assertThat(expected.boots()).isEqualTo(1);
    assertThat(expected.warm()).isEqualTo(1);
    // Its latency: the 400 ms it waited for the clone, then a warm start; a boot's is 1000 ms.
    assertThat(expected.p50StartMs()).isLessThan(spread.p50StartMs());
  }

  @Test
  void aSnapshotLargerThanTheCacheIsFetchedEveryTime() {
    // One node whose 100 MiB cache cannot hold a 256 MiB snapshot: after the boot, every cold
    // start restores from remote storage.
    SimResult r =
        new Simulator(
                workload(1, 0, 0, 0, 20_000, 0, 40_000),
                config(1, 100L << 20, "default", SnapshotMode.REMOTE),
                MODEL)
            .run(line -> {});
    assertThat(r.boots()).isEqualTo(1);
    assertThat(r.remoteRestores()).isEqualTo(2);
    assertThat(r.remoteBytes()).isEqualTo(2 * (10L << 20));
    assertThat(r.localHitShare()).isZero();
    // Idle: 1600..11600, 20300..30300, 40300..50300 (each 10 s) of 0.25 GiB.
    assertThat(r.idleGibHours()).isCloseTo(3 * 10 * 0.25 / 3600, within(1e-9));
  }

  @Test
  void localModeBootsWhereverTheSnapshotIsNot() {
    // Local snapshots: the node that booted restores its own snapshot; without snapshots, boots.
    SimResult r =
        new Simulator(
                workload(1, 0, 0, 0, 20_000),
                config(1, 10L << 30, "default", SnapshotMode.LOCAL),
                MODEL)
            .run(line -> {});
    assertThat(r.boots()).isEqualTo(1);
    assertThat(r.localRestores()).isEqualTo(1);

    SimResult disabled =
        new Simulator(
                workload(1, 0, 0, 0, 20_000),
                config(1, 10L << 30, "default", SnapshotMode.DISABLED),
                MODEL)
            .run(line -> {});
    assertThat(disabled.boots()).isEqualTo(2);
    assertThat(disabled.idleGibHours()).isCloseTo(2 * 10 * 0.25 / 3600, within(1e-9));
  }

  @Test
  void aFullNodeMakesRoomFromItsIdleInstancesAndRejectsWhenAllAreBusy() {
    // One node, one instance at a time: f1 at 2000 stops f0's idle instance; f0 at 2050 finds
    // the only instance busy and is rejected.
    SimConfig one =
        config(1, 10L << 30, "default", SnapshotMode.DISABLED).toBuilder()
            .instancesPerNode(1)
            .build();
    SimResult r = new Simulator(workload(2, 0, 0, 1, 2000, 0, 2050), one, MODEL).run(l -> {});
    assertThat(r.boots()).isEqualTo(2);
    assertThat(r.rejected()).isEqualTo(1);
    assertThat(r.warm()).isZero();
  }

  @Test
  void snapshotAwarePlacementFindsTheCachingNodeWhereDefaultPlacementSpreads() {
    // 8 nodes; f0 boots at 0 on one of them, then cold starts every 20 s (keep-alive 10 s).
    long[] plan = new long[2 * 30];
    for (int k = 0; k < 30; k++) {
      plan[2 * k] = 0;
      plan[2 * k + 1] = k * 20_000L;
    }
    Workload w = workload(1, plan);
    SimResult aware =
        new Simulator(w, config(8, 10L << 30, "snapshot-aware", SnapshotMode.REMOTE), MODEL)
            .run(l -> {});
    SimResult spread =
        new Simulator(w, config(8, 10L << 30, "default", SnapshotMode.REMOTE), MODEL).run(l -> {});
    assertThat(aware.localRestores()).isEqualTo(29);
    assertThat(aware.remoteRestores()).isZero();
    // Spreading picks a random node among the empty ones: most of the 8 must fetch once.
    assertThat(spread.remoteRestores()).isBetween(3L, 7L);
    assertThat(spread.localRestores() + spread.remoteRestores()).isEqualTo(29);
  }

  @Test
  void theHybridPolicyPrewarmsAFunctionInvokedEveryHalfHour() {
    // Every 30 minutes, 20 times. The first ten idle times are too few for the histogram: the
    // fixed 10 s window applies and every invocation is cold. From the 11th on the windows
    // are pre-warm 26.1 min and keep-alive to 33 min: the instance stops after each invocation
    // and a restored one waits for the next, which is warm.
    long[] plan = new long[2 * 20];
    for (int k = 0; k < 20; k++) {
      plan[2 * k + 1] = k * 30 * 60_000L;
    }
    List<TraceFunction> fs = List.of(function("f0"));
    List<ReplayPlan.Invocation> inv = new ArrayList<>();
    for (int k = 0; k < 20; k++) {
      inv.add(new ReplayPlan.Invocation(0, 0, plan[2 * k + 1], 100));
    }
    Workload w = Workload.of(new ReplayPlan(inv, 1440, 60_000), fs);
    SimConfig hybrid =
        config(2, 10L << 30, "snapshot-aware", SnapshotMode.REMOTE).toBuilder()
            .keepAlive("hybrid")
            .build();
    SimResult r = new Simulator(w, hybrid, MODEL).run(l -> {});
    assertThat(r.boots()).isEqualTo(1);
    assertThat(r.localRestores()).isEqualTo(10);
    assertThat(r.warm()).isEqualTo(9);
    assertThat(r.prewarms()).isEqualTo(10);
  }

  @Test
  void predictedPrefetchBringsAnEvictedSnapshotBackBeforeItsColdStart() {
    // Function 0 every 20 minutes; function 1 once in between, on a 300 MiB cache that holds one
    // 256 MiB snapshot: f1's snapshot evicts f0's. One node, so placement has no choice.
    List<TraceFunction> fs = List.of(function("f0"), function("f1"));
    List<ReplayPlan.Invocation> inv = new ArrayList<>();
    long minute = 60_000;
    for (int k = 0; k < 10; k++) {
      inv.add(new ReplayPlan.Invocation(0, 0, k * 20 * minute, 100));
    }
    inv.add(new ReplayPlan.Invocation(1, 0, 175 * minute, 100));
    inv.add(new ReplayPlan.Invocation(0, 0, 200 * minute, 100));
    inv.sort(java.util.Comparator.comparingLong(ReplayPlan.Invocation::atMillis));
    Workload w = Workload.of(new ReplayPlan(inv, 1440, 60_000), fs);
    SimConfig off = config(1, 300L << 20, "snapshot-aware", SnapshotMode.REMOTE);
    SimConfig on = off.toBuilder().prefetch(true).build();
    SimResult without = new Simulator(w, off, MODEL).run(l -> {});
    SimResult with = new Simulator(w, on, MODEL).run(l -> {});
    // Without: f0 at 200 min finds its snapshot evicted and fetches it on the critical path.
    assertThat(without.remoteRestores()).isEqualTo(1);
    // With: ten 20-minute gaps predict the next arrival; the fetch happens ahead of it.
    assertThat(with.prefetches()).isEqualTo(1);
    assertThat(with.remoteRestores()).isZero();
    assertThat(with.localRestores()).isEqualTo(without.localRestores() + 1);
  }

  @Test
  void startsOnTheSameHostShareItsCores() {
    // One node, two cores, no snapshots: four functions boot at 0 (1000 ms of bench time each),
    // four at once on two cores, at half pace. At 1500 each has 250 ms left when f0 is invoked
    // again: its instance is still booting, so it boots a fifth; five at once, at 0.4 each, the
    // four finish at 1500 + 250 / 0.4 = 2125, the fifth (250 done) alone at 2125 + 750 = 2875.
    Workload w = workload(4, 0, 0, 1, 0, 2, 0, 3, 0, 0, 1500);
    SimConfig contended =
        config(1, 10L << 30, "default", SnapshotMode.DISABLED).toBuilder().cores(2, 1).build();
    SimResult r = new Simulator(w, contended, MODEL).run(l -> {});
    assertThat(r.boots()).isEqualTo(5);
    assertThat(r.warm()).isZero();
    assertThat(r.p50StartMs()).isCloseTo(2125, within(11.0));
    assertThat(r.p99StartMs()).isCloseTo(2125, within(11.0));

    // Without contention each boot takes its 1000 ms: f0 is idle again at 1100, and warm at 1500.
    SimResult free =
        new Simulator(w, config(1, 10L << 30, "default", SnapshotMode.DISABLED), MODEL)
            .run(l -> {});
    assertThat(free.boots()).isEqualTo(4);
    assertThat(free.warm()).isEqualTo(1);
  }

  @Test
  void nodesOnOneHostShareItsCoresAndNodesOnTheirOwnDoNot() {
    // Four boots at 0 on two nodes (the least loaded node each time: two each). On their own
    // hosts of two cores each boot takes 1000 ms; both nodes on one such host, 2000 ms.
    Workload w = workload(4, 0, 0, 1, 0, 2, 0, 3, 0);
    SimConfig base = config(2, 10L << 30, "default", SnapshotMode.DISABLED);
    SimResult apart = new Simulator(w, base.toBuilder().cores(2, 1).build(), MODEL).run(l -> {});
    SimResult together = new Simulator(w, base.toBuilder().cores(2, 2).build(), MODEL).run(l -> {});
    assertThat(apart.p99StartMs()).isCloseTo(1000, within(6.0));
    assertThat(together.p50StartMs()).isCloseTo(2000, within(11.0));
  }

  @Test
  void theSnapshotAfterABootTakesItsShareOfTheCoresToo() {
    // One core. f0 boots at 0 (done 1000, answers at 1100), then snapshots for 500 ms of bench
    // time. f1 boots at 1200: from then both share the core, and the snapshot's last 400 ms take
    // 800: it is ready at 2000 (f1's boot, 400 ms done, ends alone at 2600). f0 at 1900 finds its
    // instance still snapshotting and nothing cached: a third boot. Alone, the snapshot would
    // have been ready at 1600 and f0 at 1900 warm.
    Workload w = workload(2, 0, 0, 1, 1200, 0, 1900);
    SimConfig one = config(1, 10L << 30, "default", SnapshotMode.LOCAL);
    SimResult contended = new Simulator(w, one.toBuilder().cores(1, 1).build(), MODEL).run(l -> {});
    assertThat(contended.boots()).isEqualTo(3);
    assertThat(contended.warm()).isZero();
    SimResult free = new Simulator(w, one, MODEL).run(l -> {});
    assertThat(free.boots()).isEqualTo(2);
    assertThat(free.warm()).isEqualTo(1);
  }
}
