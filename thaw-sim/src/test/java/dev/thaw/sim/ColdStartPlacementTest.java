package dev.thaw.sim;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.core.snapshot.SnapshotMode;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ColdStartPlacementTest {
  private final Instances in = new Instances();
  private final IdleLists idle = new IdleLists(in, 2, 3);
  private final LoadIndex load = new LoadIndex(3, 2);
  private final SnapshotLocations snapshots =
      new SnapshotLocations(
          SimulatorTest.workload(2),
          SimulatorTest.config(3, 10L << 30, "default", SnapshotMode.REMOTE),
          SimulatorTest.MODEL,
          () -> 0);

  private ColdStartPlacement placement(String scorer) {
    return new ColdStartPlacement(
        SimulatorTest.config(3, 10L << 30, scorer, SnapshotMode.REMOTE),
        SimulatorTest.MODEL,
        load,
        snapshots,
        idle,
        new Random(1));
  }

  /** An instance of {@code f} on {@code node}, idle or busy. */
  private void instance(int f, int node, boolean idleNow) {
    int i = in.allocate(f, node);
    load.add(node, 1);
    if (idleNow) {
      in.state[i] = Instances.IDLE;
      idle.link(i);
    }
  }

  @Test
  void snapshotAwarePlacementTakesTheCachingNodeOverAnEmptierOne() {
    snapshots.cache(0, 2);
    instance(1, 2, false);
    assertThat(placement("snapshot-aware").withRoom(0)).isEqualTo(2);
    // Spreading ranks by load alone: node 0 or 1, both empty.
    assertThat(placement("default").withRoom(0)).isIn(0, 1);
  }

  @Test
  void aFullClusterMakesRoomOnACachingNodeFirstAndNowhereWhenAllAreBusy() {
    snapshots.cache(0, 1);
    for (int node = 0; node < 3; node++) {
      instance(1, node, true);
      instance(1, node, false);
    }
    ColdStartPlacement p = placement("default");
    assertThat(p.withRoom(0)).isEqualTo(-1);
    assertThat(p.toMakeRoom(0)).isEqualTo(1);
    assertThat(p.toMakeRoom(1)).isIn(0, 1, 2);

    for (int node = 0; node < 3; node++) {
      int i = idle.oldestOn(node);
      idle.unlink(i);
      in.state[i] = Instances.BUSY;
    }
    assertThat(p.toMakeRoom(0)).isEqualTo(-1);
  }

  @Test
  void expectedTimeTakesTheCachingNodesRestoreOverABootOnAnEmptierOne() {
    snapshots.cache(0, 2);
    instance(1, 2, false);
    assertThat(placement("expected-time").withRoom(0)).isEqualTo(2);
    // Without the snapshot anywhere: a boot on the least loaded node.
    assertThat(placement("expected-time").withRoom(1)).isIn(0, 1);
  }

  @Test
  void expectedTimeWaitsForACloneInTheMakingOncePerClone() {
    ColdStartPlacement p = placement("expected-time");
    assertThat(p.waitForClone(0, 100, 0)).as("no clone").isFalse();
    p.cloneStarted(7, 0, 1, 1000);
    assertThat(p.waitForClone(0, 100, 1200)).isTrue();
    // The clone is taken by that invocation: the next one starts its own.
    assertThat(p.waitForClone(0, 100, 1300)).isFalse();
    assertThat(p.cloneReady(7, 0)).contains(new ColdStartPlacement.Waiter(100, 1200));
    assertThat(placement("snapshot-aware").waitForClone(0, 100, 1200)).isFalse();
  }
}
