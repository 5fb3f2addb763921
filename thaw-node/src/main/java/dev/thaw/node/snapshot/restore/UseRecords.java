package dev.thaw.node.snapshot.restore;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Decides when a remote restore should tell remote storage that its revision is in use: at most
 * once per {@code interval} per revision. Collection by age needs days of precision, not a write to
 * storage on every cold start of a busy function.
 */
public final class UseRecords {
  private final Duration interval;
  private final Supplier<Instant> clock;
  private final Map<String, Instant> recorded = new ConcurrentHashMap<>();

  /** Records at most once per {@code interval} per revision, on {@code clock}'s time. */
  public UseRecords(Duration interval, Supplier<Instant> clock) {
    if (interval.isNegative()) {
      throw new IllegalArgumentException("use record interval must not be negative");
    }
    this.interval = interval;
    this.clock = Objects.requireNonNull(clock);
  }

  /**
   * True when {@code revision} is due a record now, and then counts it as recorded: of concurrent
   * callers, one is told to write it.
   */
  boolean due(String revision) {
    Instant now = clock.get();
    boolean[] due = {false};
    recorded.compute(
        revision,
        (r, last) -> {
          if (last == null || !now.isBefore(last.plus(interval))) {
            due[0] = true;
            return now;
          }
          return last;
        });
    return due[0];
  }

  /** The record of {@code revision} could not be written: the next restore tries again. */
  void failed(String revision) {
    recorded.remove(revision);
  }
}
