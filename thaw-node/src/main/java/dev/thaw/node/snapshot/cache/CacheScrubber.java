package dev.thaw.node.snapshot.cache;

import dev.thaw.core.concurrent.DaemonThreads;
import dev.thaw.core.io.ReadPacer;
import dev.thaw.core.snapshot.SnapshotFormatException;
import dev.thaw.core.snapshot.SnapshotManifestCodec;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-hashes a cache's entries against their manifests in the background, for what the check before
 * each restore ({@link EntryFingerprint}, a stat) cannot see: bit rot, a write that kept size and
 * times. One entry at a time, at most {@link ReadRate} bytes per second, on one low-priority
 * thread; a pass over every entry, then a pause of one period before the next, and the first pass
 * one period after the start (entries found at start are checked by the cache itself then). An
 * entry that fails is dropped.
 *
 * <p>It holds no lock and no pin while it reads: restores and evictions go on as if it were not
 * there. An entry evicted while it is read is read to the end from the open file (or found gone),
 * and its result is dropped, since the cache no longer holds the entry the scrub started on; one in
 * use by a restore is read beside it, and if it fails it is dropped once the restore lets go.
 */
public final class CacheScrubber implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CacheScrubber.class);

  /** Default bound of the scrub's reads: 64 MiB/s. */
  public static final long DEFAULT_RATE = 64L << 20;

  /** Default pause between two passes. */
  public static final Duration DEFAULT_PERIOD = Duration.ofHours(1);

  /** Waits, as {@link Thread#sleep} does; tests pass one that moves a fake clock. */
  @FunctionalInterface
  interface Sleeper {
    void sleep(long nanos) throws InterruptedException;
  }

  private final LocalSnapshotCache cache;
  private final ReadRate rate;
  private final Duration period;
  private final LongSupplier clock;
  private final Sleeper sleeper;
  private final Counter scrubbedBytes;
  private final ExecutorService thread =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = DaemonThreads.named("thaw-cache-scrubber").newThread(r);
            t.setPriority(Thread.MIN_PRIORITY);
            return t;
          });

  private CacheScrubber(Builder b) {
    this.cache = b.cache;
    this.rate = new ReadRate(b.bytesPerSecond);
    this.period = b.period;
    this.clock = b.clock;
    this.sleeper = b.sleeper;
    this.scrubbedBytes = b.meters.counter("thaw.snapshot.cache.scrub.bytes");
  }

  /** A scrubber of {@code cache}, with the defaults until set otherwise. */
  public static Builder builder(LocalSnapshotCache cache) {
    return new Builder(cache);
  }

  /** Starts the passes on the scrubber's thread; {@link #close} stops them. */
  public CacheScrubber start() {
    thread.execute(
        () -> {
          try {
            while (!Thread.currentThread().isInterrupted()) {
              sleeper.sleep(period.toNanos());
              pass();
            }
          } catch (InterruptedException stopped) {
            // closed
          } catch (RuntimeException e) {
            log.error("cache scrub stopped", e);
          }
        });
    return this;
  }

  /**
   * Scrubs every entry the cache holds now, one after the other.
   *
   * @return the entries dropped
   * @throws InterruptedException when the thread was interrupted (the scrub is being closed)
   */
  List<String> pass() throws InterruptedException {
    List<String> dropped = new ArrayList<>();
    for (String revision : List.copyOf(cache.revisions())) {
      if (scrub(revision)) {
        dropped.add(revision);
      }
    }
    return dropped;
  }

  /**
   * Re-hashes the entry of {@code revision} at the bounded rate, dropping it if it does not match
   * its manifest. Skips an entry gone, not yet checked since start, or replaced meanwhile.
   *
   * @return whether it was dropped
   * @throws InterruptedException when the thread was interrupted meanwhile
   */
  boolean scrub(String revision) throws InterruptedException {
    Optional<LocalSnapshotCache.Scrubbable> entry = cache.scrubbable(revision);
    if (entry.isEmpty()) {
      return false;
    }
    try {
      SnapshotManifestCodec.verifyFiles(entry.get().manifest(), entry.get().dir(), pacer());
      return false;
    } catch (IOException | SnapshotFormatException e) {
      if (Thread.interrupted()) {
        // A read cut short by close() says nothing of the entry.
        throw new InterruptedException("scrub closed");
      }
      return cache.scrubFailed(entry.get(), "scrub: " + e.getMessage());
    }
  }

  /** Holds one entry's reads to the rate, from now. */
  private ReadPacer pacer() {
    long start = clock.getAsLong();
    long[] read = {0};
    return bytes -> {
      scrubbedBytes.increment(bytes);
      read[0] += bytes;
      long wait = rate.waitNanos(read[0], clock.getAsLong() - start);
      if (wait > 0) {
        try {
          sleeper.sleep(wait);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("scrub closed");
        }
      }
    };
  }

  /** Stops the scrub, cutting short a read in progress, and waits for its thread to end. */
  @Override
  public void close() {
    thread.shutdownNow();
    try {
      if (!thread.awaitTermination(10, TimeUnit.SECONDS)) {
        log.warn("cache scrub did not stop within 10 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Builder; defaults: {@link #DEFAULT_RATE}, {@link #DEFAULT_PERIOD}, the system's clock. */
  public static final class Builder {
    private final LocalSnapshotCache cache;
    private long bytesPerSecond = DEFAULT_RATE;
    private Duration period = DEFAULT_PERIOD;
    private LongSupplier clock = System::nanoTime;
    private Sleeper sleeper = nanos -> TimeUnit.NANOSECONDS.sleep(nanos);
    private MeterRegistry meters = new SimpleMeterRegistry();

    private Builder(LocalSnapshotCache cache) {
      this.cache = Objects.requireNonNull(cache, "cache");
    }

    /** Bound of the scrub's reads, in bytes per second. */
    public Builder rate(long bytesPerSecond) {
      if (bytesPerSecond <= 0) {
        throw new IllegalArgumentException("scrub rate must be positive: " + bytesPerSecond);
      }
      this.bytesPerSecond = bytesPerSecond;
      return this;
    }

    /** The pause between two passes, and before the first. */
    public Builder period(Duration period) {
      if (period.isNegative() || period.isZero()) {
        throw new IllegalArgumentException("scrub period must be positive: " + period);
      }
      this.period = period;
      return this;
    }

    /** A {@link System#nanoTime()}-like clock, read to pace the reads. */
    Builder clock(LongSupplier clock) {
      this.clock = Objects.requireNonNull(clock);
      return this;
    }

    Builder sleeper(Sleeper sleeper) {
      this.sleeper = Objects.requireNonNull(sleeper);
      return this;
    }

    /** Where the scrub's meters go. */
    public Builder meters(MeterRegistry meters) {
      this.meters = Objects.requireNonNull(meters);
      return this;
    }

    /** The scrubber, not started yet ({@link CacheScrubber#start}). */
    public CacheScrubber build() {
      return new CacheScrubber(this);
    }
  }
}
