package dev.thaw.core.time;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * A clock that moves only when told: for tests of ages, expiries and TTLs, and for driving the
 * decision code on simulated time. {@link #millis()} and {@link #nanos()} are the {@code
 * LongSupplier} clocks the cache index and the keep-alive code take. Thread-safe.
 */
public final class ManualClock extends Clock {
  private volatile Instant now;

  public ManualClock(Instant start) {
    this.now = start;
  }

  public synchronized void advance(Duration by) {
    if (by.isNegative()) {
      throw new IllegalArgumentException("a clock does not go back: " + by);
    }
    now = now.plus(by);
  }

  @Override
  public Instant instant() {
    return now;
  }

  /** Nanoseconds since the epoch, as a monotonic ticker. */
  public long nanos() {
    Instant n = now;
    return n.getEpochSecond() * 1_000_000_000L + n.getNano();
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    throw new UnsupportedOperationException("a manual clock stays in UTC");
  }
}
