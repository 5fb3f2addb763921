package dev.thaw.node.snapshot.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class UseRecordsTest {
  private Instant now = Instant.parse("2026-11-26T10:00:00Z");
  private final Supplier<Instant> clock = () -> now;

  @Test
  void aRevisionIsRecordedOncePerInterval() {
    UseRecords records = new UseRecords(Duration.ofHours(1), clock);
    assertThat(records.due("fn-a")).isTrue();
    assertThat(records.due("fn-a")).isFalse();
    now = now.plus(Duration.ofMinutes(59));
    assertThat(records.due("fn-a")).isFalse();
    now = now.plus(Duration.ofMinutes(1));
    assertThat(records.due("fn-a")).isTrue();
    assertThat(records.due("fn-a")).isFalse();
  }

  @Test
  void revisionsAreCountedApart() {
    UseRecords records = new UseRecords(Duration.ofHours(1), clock);
    assertThat(records.due("fn-a")).isTrue();
    assertThat(records.due("fn-b")).isTrue();
    assertThat(records.due("fn-a")).isFalse();
  }

  @Test
  void aFailedRecordIsDueAgainAtOnce() {
    UseRecords records = new UseRecords(Duration.ofHours(1), clock);
    assertThat(records.due("fn-a")).isTrue();
    records.failed("fn-a");
    assertThat(records.due("fn-a")).isTrue();
  }

  @Test
  void aZeroIntervalRecordsEveryRestoreAndANegativeOneIsRefused() {
    UseRecords records = new UseRecords(Duration.ZERO, clock);
    assertThat(records.due("fn-a")).isTrue();
    assertThat(records.due("fn-a")).isTrue();
    assertThatThrownBy(() -> new UseRecords(Duration.ofSeconds(-1), clock))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("negative");
  }
}
