package dev.thaw.node.snapshot.fill;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * {@link StorageCost}: a peer's deadline follows what storage reads cost, never below the floor.
 */
class StorageCostTest {
  private static final long MS = 1_000_000L;
  private final StorageCost cost = new StorageCost(Duration.ofMillis(100));

  @Test
  void beforeAnyReadAChunkMayTakeTheUnmeasuredDeadline() {
    assertThat(cost.deadline(64 << 10)).isEqualTo(StorageCost.UNMEASURED);
  }

  @Test
  void aFloorAboveTheUnmeasuredDeadlineHoldsBeforeAnyReadToo() {
    StorageCost patient = new StorageCost(Duration.ofSeconds(30));
    assertThat(patient.deadline(64 << 10)).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void aDeadlineIsWhatARequestOfThatSizeCostsAndScalesWithBytes() {
    cost.measured(64 << 10, 300 * MS);
    assertThat(cost.deadline(64 << 10)).isEqualTo(Duration.ofMillis(300));
    assertThat(cost.deadline(128 << 10)).isEqualTo(Duration.ofMillis(600));
    // A smaller chunk still costs a request.
    assertThat(cost.deadline(4 << 10)).isEqualTo(Duration.ofMillis(300));
  }

  @Test
  void quickStorageLeavesPeersTheFloor() {
    cost.measured(64 << 10, 2 * MS);
    assertThat(cost.deadline(64 << 10)).isEqualTo(Duration.ofMillis(100));
  }

  @Test
  void newReadsMoveTheAverage() {
    cost.measured(64 << 10, 300 * MS);
    cost.measured(64 << 10, 800 * MS);
    assertThat(cost.deadline(64 << 10)).isEqualTo(Duration.ofMillis(400));
  }
}
