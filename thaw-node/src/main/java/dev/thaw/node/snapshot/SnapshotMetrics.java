package dev.thaw.node.snapshot;

import dev.thaw.node.snapshot.fill.ChunkAssembler;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
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
  private final Counter peerChunks;
  private final Counter peerBytes;
  private final Counter storageChunks;
  private final DistributionSummary answeredMemoryBytes;
  private final DistributionSummary answeredImageBytes;

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
    this.peerChunks = meters.counter("thaw.snapshot.peer.chunks");
    this.peerBytes = meters.counter("thaw.snapshot.peer.bytes");
    this.storageChunks = meters.counter("thaw.snapshot.storage.chunks");
    this.answeredMemoryBytes =
        DistributionSummary.builder("thaw.snapshot.lazy.answer.bytes")
            .tag("file", "memory")
            .baseUnit("bytes")
            .register(meters);
    this.answeredImageBytes =
        DistributionSummary.builder("thaw.snapshot.lazy.answer.bytes")
            .tag("file", "rootimage")
            .baseUnit("bytes")
            .register(meters);
  }

  /** A restore's guest answered on a memory file still being filled. */
  public void lazyRestored() {
    lazyRestores.increment();
  }

  /**
   * A lazy restore's guest answered its first invocation after {@code memoryBytes} of its snapshot
   * and {@code imageBytes} of a root image still filling were received from storage.
   */
  public void answeredAfter(long memoryBytes, long imageBytes) {
    answeredMemoryBytes.record(memoryBytes);
    answeredImageBytes.record(imageBytes);
  }

  /** Root-image bytes received before the first answers of lazy restores, in all. */
  long rootImageBytesBeforeAnswers() {
    return (long) answeredImageBytes.totalAmount();
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

  /**
   * Where a fetch's chunks came from: peers ({@code thaw.snapshot.peer.chunks}, {@code
   * .peer.bytes}) or storage ({@code thaw.snapshot.storage.chunks}), and why chunks asked of a peer
   * came from storage ({@code thaw.snapshot.peer.fallbacks{reason}}).
   */
  public void moved(ChunkAssembler.Transfer t) {
    peerChunks.increment(t.peerChunks());
    peerBytes.increment(t.peerBytes());
    storageChunks.increment(t.fetchedChunks());
    t.peerFallbacks()
        .forEach(
            (reason, n) ->
                meters
                    .counter("thaw.snapshot.peer.fallbacks", "reason", reason.label())
                    .increment(n));
  }

  /** Chunks received from peers so far. */
  public long peerChunks() {
    return (long) peerChunks.count();
  }

  /** A snapshot whose clone never answered, found when verifying a new one or when restoring. */
  void dead(DeadSnapshot.Phase phase) {
    meters
        .counter("thaw.snapshot.dead", "phase", phase.name().toLowerCase(java.util.Locale.ROOT))
        .increment();
  }

  /** A restore whose clone was held off the CPU until the wait's patience ran out. */
  void tooSlow(DeadSnapshot.Phase phase) {
    meters
        .counter(
            "thaw.snapshot.restores.too.slow",
            "phase",
            phase.name().toLowerCase(java.util.Locale.ROOT))
        .increment();
  }

  void coldStart(ColdStart.Source source) {
    meters.counter("thaw.snapshot.cold.starts", "source", source.label()).increment();
  }
}
