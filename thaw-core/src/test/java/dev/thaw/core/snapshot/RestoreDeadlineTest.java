package dev.thaw.core.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RestoreDeadlineTest {
  private final RestoreDeadline deadline =
      RestoreDeadline.builder()
          .factor(10)
          .floor(Duration.ofSeconds(3))
          .ceiling(Duration.ofSeconds(10))
          .window(5)
          .build();

  @Test
  void beforeAnyRestoreTheCeilingApplies() {
    assertThat(deadline.current()).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void fastRestoresGiveTheFloorNotTenTimesTheirMedian() {
    for (int i = 0; i < 5; i++) {
      deadline.restored(Duration.ofMillis(120));
    }
    assertThat(deadline.current()).isEqualTo(Duration.ofSeconds(3));
  }

  @Test
  void tenTimesTheMedianBetweenTheBounds() {
    deadline.restored(Duration.ofMillis(400));
    deadline.restored(Duration.ofMillis(500));
    deadline.restored(Duration.ofMillis(9000)); // one outlier does not move the median
    assertThat(deadline.current()).isEqualTo(Duration.ofSeconds(5));
  }

  @Test
  void slowRestoresAreCappedAtTheCeiling() {
    deadline.restored(Duration.ofSeconds(2));
    assertThat(deadline.current()).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void onlyTheLastWindowCounts() {
    for (int i = 0; i < 5; i++) {
      deadline.restored(Duration.ofSeconds(2));
    }
    for (int i = 0; i < 5; i++) {
      deadline.restored(Duration.ofMillis(450));
    }
    assertThat(deadline.current()).isEqualTo(Duration.ofMillis(4500));
  }

  @Test
  void alwaysWithinTheBounds() {
    Random random = new Random(7);
    for (int i = 0; i < 1000; i++) {
      deadline.restored(Duration.ofMillis(random.nextInt(5000)));
      assertThat(deadline.current()).isBetween(Duration.ofSeconds(3), Duration.ofSeconds(10));
    }
  }

  @Test
  void theNextWaitIsTheDeadlineOfRunningTimeWithinThePatience() {
    deadline.restored(Duration.ofMillis(500));
    assertThat(deadline.nextWait().running()).isEqualTo(Duration.ofSeconds(5));
    assertThat(deadline.nextWait().patience()).isEqualTo(Duration.ofMinutes(1));
    RestoreDeadline impatient =
        RestoreDeadline.builder()
            .floor(Duration.ofSeconds(3))
            .ceiling(Duration.ofSeconds(3))
            .patience(Duration.ofSeconds(1))
            .build();
    assertThat(impatient.nextWait().patience())
        .as("never less than the deadline itself")
        .isEqualTo(Duration.ofSeconds(3));
  }

  @Test
  void refusesBoundsThatCannotHold() {
    assertThatThrownBy(
            () ->
                RestoreDeadline.builder()
                    .floor(Duration.ofSeconds(20))
                    .ceiling(Duration.ofSeconds(10))
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("above ceiling");
    assertThatThrownBy(() -> RestoreDeadline.builder().factor(0.5))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> deadline.restored(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
