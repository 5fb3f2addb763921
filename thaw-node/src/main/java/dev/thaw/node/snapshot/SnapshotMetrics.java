package dev.thaw.node.snapshot;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** The snapshot manager's meters, named {@code thaw.snapshot.*}. */
public final class SnapshotMetrics {
  private final MeterRegistry meters;
  private final Counter hits;
  private final Counter misses;
  private final Counter commits;
  private final Counter fetchedBytes;
  private final Counter copiedBytes;
  private final Timer fetches;
  private final Timer lazyWaits;
  private final Counter lazyRestores;

  SnapshotMetrics(MeterRegistry meters) {
    this.meters = meters;
    this.hits = meters.counter("thaw.snapshot.cache.hits");
    this.misses = meters.counter("thaw.snapshot.cache.misses");
    this.commits = meters.counter("thaw.snapshot.commits");
    this.fetchedBytes = meters.counter("thaw.snapshot.fetch.bytes");
    this.copiedBytes = meters.counter("thaw.snapshot.fetch.local.bytes");
    this.fetches = meters.timer("thaw.snapshot.fetch");
    this.lazyWaits = meters.timer("thaw.snapshot.lazy.read.waits");
    this.lazyRestores = meters.counter("thaw.snapshot.lazy.restores");
  }

  /** A restore's guest answered on a memory file still being filled. */
  public void lazyRestored() {
    lazyRestores.increment();
  }

  long lazyRestores() {
    return (long) lazyRestores.count();
  }

  /** A read of a lazily restored memory file waited {@code time} for its chunk to arrive. */
  public void lazyReadWaited(Duration time) {
    lazyWaits.record(time);
  }

  /** Reads of lazily restored memory files that waited for their chunk, so far. */
  long lazyReadWaits() {
    return lazyWaits.count();
  }

  /** How long those reads waited in all. */
  Duration lazyReadWaitTime() {
    return Duration.ofNanos((long) lazyWaits.totalTime(TimeUnit.NANOSECONDS));
  }

  void hit() {
    hits.increment();
  }

  void miss() {
    misses.increment();
  }

  /** A snapshot joined the cache. */
  public void committed() {
    commits.increment();
  }

  /** A remote fetch: bytes over the network, bytes copied from other cache entries instead. */
  public void fetched(long bytes, long copied, Duration time) {
    fetchedBytes.increment(bytes);
    copiedBytes.increment(copied);
    fetches.record(time);
  }

  /** A snapshot whose clone never answered, found when verifying a new one or when restoring. */
  void dead(DeadSnapshot.Phase phase) {
    meters
        .counter("thaw.snapshot.dead", "phase", phase.name().toLowerCase(java.util.Locale.ROOT))
        .increment();
  }

  void coldStart(ColdStart.Source source) {
    meters.counter("thaw.snapshot.cold.starts", "source", source.label()).increment();
  }
}
