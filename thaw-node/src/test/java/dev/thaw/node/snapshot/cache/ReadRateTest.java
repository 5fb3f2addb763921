package dev.thaw.node.snapshot.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ReadRateTest {
  private static final long MIB = 1 << 20;
  private final ReadRate rate = new ReadRate(64 * MIB);

  @Test
  void aReadAheadOfTheRateWaitsForTheRest() {
    assertThat(rate.waitNanos(64 * MIB, 250_000_000)).isEqualTo(750_000_000);
  }

  @Test
  void aReadBehindTheRateDoesNotWait() {
    assertThat(rate.waitNanos(64 * MIB, 1_000_000_000)).isZero();
    assertThat(rate.waitNanos(64 * MIB, 2_000_000_000)).isZero();
  }

  @Test
  void largeReadsDoNotOverflow() {
    long tenGiB = 10L << 30;
    assertThat(rate.waitNanos(tenGiB, 0)).isEqualTo(160_000_000_000L);
  }

  @Test
  void theRateIsPositive() {
    assertThatThrownBy(() -> new ReadRate(0)).isInstanceOf(IllegalArgumentException.class);
  }
}
