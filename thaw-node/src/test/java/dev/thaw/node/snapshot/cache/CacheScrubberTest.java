package dev.thaw.node.snapshot.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.core.cache.CacheAdvertiser;
import dev.thaw.core.cache.CacheIndex;
import dev.thaw.core.function.BuiltinFunctions;
import dev.thaw.core.snapshot.SnapshotFixtures;
import dev.thaw.core.snapshot.SnapshotManifest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The background scrub on a real cache directory, with a fake clock that its sleeps move. */
class CacheScrubberTest {
  private static final int MEMORY_BYTES = 1 << 20;

  @TempDir Path root;
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final AtomicLong now = new AtomicLong();
  private final List<Long> sleeps = new ArrayList<>();

  /** Runs inside the scrub's next pacing sleep, then is forgotten. */
  private Runnable duringNextSleep = () -> {};

  private LocalSnapshotCache cache;

  private LocalSnapshotCache open() throws Exception {
    cache =
        LocalSnapshotCache.open(
            root,
            CacheIndex.builder().capacityBytes(64 << 20).build(),
            CacheAdvertiser.none(),
            SnapshotFixtures.HOST,
            meters);
    return cache;
  }

  private CacheScrubber scrubber(long bytesPerSecond) {
    return CacheScrubber.builder(cache)
        .rate(bytesPerSecond)
        .clock(now::get)
        .sleeper(
            nanos -> {
              sleeps.add(nanos);
              now.addAndGet(nanos);
              Runnable r = duringNextSleep;
              duringNextSleep = () -> {};
              r.run();
            })
        .meters(meters)
        .build();
  }

  /** Commits a snapshot of random memory (from {@code seed}), its state file listed first. */
  private void put(String revision, long seed) throws Exception {
    byte[] memory = new byte[MEMORY_BYTES];
    new Random(seed).nextBytes(memory);
    var w = cache.begin(revision, MEMORY_BYTES + 100).orElseThrow();
    SnapshotManifest m =
        SnapshotFixtures.chunked(w.dir(), revision, BuiltinFunctions.HELLO, memory, 64 << 10);
    SnapshotManifest stateFirst =
        SnapshotFixtures.manifest(
            revision,
            BuiltinFunctions.HELLO,
            m.formatVersion(),
            List.of(m.files().get(1), m.files().get(0)));
    w.commit(stateFirst).orElseThrow().close();
  }

  private double corrupt(String found) {
    return meters.counter("thaw.snapshot.cache.corrupt", "found", found).count();
  }

  @AfterEach
  void close() throws Exception {
    if (cache != null) {
      cache.close();
    }
  }

  @Test
  void aFlippedBitUnderTheSameSizeAndModificationTimeIsFoundAndTheEntryDropped() throws Exception {
    open();
    put("r1", 1);
    put("r2", 2);
    Path memory = root.resolve("entries/r1/memory");
    long size = Files.size(memory);
    var mtime = Files.getLastModifiedTime(memory);

    Tampering.flipBit(memory, 300_000);

    assertThat(Files.size(memory)).isEqualTo(size);
    assertThat(Files.getLastModifiedTime(memory)).isEqualTo(mtime);
    assertThat(scrubber(64L << 20).pass()).containsExactly("r1");
    assertThat(cache.revisions()).containsExactly("r2");
    assertThat(root.resolve("entries/r1")).doesNotExist();
    assertThat(corrupt("scrub")).isEqualTo(1);
    assertThat(corrupt("stat")).isZero();
  }

  @Test
  void readsNoFasterThanTheRate() throws Exception {
    open();
    put("r1", 1);
    put("r2", 2);
    long rate = 1 << 20; // two entries of 1 MiB and a bit: a little over two seconds
    assertThat(scrubber(rate).pass()).isEmpty();

    long read = (long) meters.counter("thaw.snapshot.cache.scrub.bytes").count();
    assertThat(read).isGreaterThan(2L * MEMORY_BYTES);
    long slept = sleeps.stream().mapToLong(Long::longValue).sum();
    // Each entry's reads are paced from its own start: the sleeps add up to its bytes / rate.
    assertThat(slept)
        .isBetween(read * 1_000_000_000L / rate - 2_000_000, read * 1_000_000_000L / rate);
    assertThat(cache.revisions()).containsExactlyInAnyOrder("r1", "r2");
  }

  @Test
  void anEntryEvictedAndRecommittedWhileItIsReadIsLeftAlone() throws Exception {
    open();
    put("r1", 1);
    // Once the scrub has read the state file, r1 goes and a new r1 with other memory comes: the
    // scrub, still on the old manifest, finds the new memory file different, and must not drop
    // the new entry for it.
    duringNextSleep =
        () -> {
          try {
            assertThat(cache.remove("r1")).isTrue();
            put("r1", 99);
          } catch (Exception e) {
            throw new AssertionError(e);
          }
        };
    assertThat(scrubber(1 << 20).scrub("r1")).isFalse();
    assertThat(cache.revisions()).containsExactly("r1");
    assertThat(corrupt("scrub")).isZero();
    try (CachedSnapshot served = cache.acquire("r1").orElseThrow()) {
      assertThat(served.revision()).isEqualTo("r1");
    }
  }

  @Test
  void anEntryInUseThatFailsIsServedNoMoreAndDroppedOnceLetGo() throws Exception {
    open();
    put("r1", 1);
    CachedSnapshot inUse = cache.acquire("r1").orElseThrow();
    Tampering.flipBit(root.resolve("entries/r1/memory"), 7);

    assertThat(scrubber(64L << 20).scrub("r1")).isTrue();
    assertThat(cache.revisions()).containsExactly("r1");
    assertThat(cache.acquire("r1")).isEmpty();
    inUse.close();
    assertThat(cache.acquire("r1")).isEmpty();
    assertThat(cache.revisions()).isEmpty();
    assertThat(corrupt("scrub")).isEqualTo(1);
  }

  @Test
  @Timeout(60)
  void closingStopsAScrubThatIsWaiting() throws Exception {
    open();
    put("r1", 1);
    // Once a read has begun, every wait is one that only an interrupt ends: close() must end it,
    // or the scrub would still be waiting when close() gives up on it.
    CountDownLatch waiting = new CountDownLatch(1);
    AtomicBoolean interrupted = new AtomicBoolean();
    AtomicBoolean waitedAgain = new AtomicBoolean();
    CacheScrubber running =
        CacheScrubber.builder(cache)
            .rate(1)
            .period(Duration.ofMillis(1))
            .sleeper(
                nanos -> {
                  waitedAgain.compareAndSet(false, interrupted.get());
                  if (meters.counter("thaw.snapshot.cache.scrub.bytes").count() == 0) {
                    return;
                  }
                  waiting.countDown();
                  try {
                    Thread.sleep(Long.MAX_VALUE);
                  } catch (InterruptedException e) {
                    interrupted.set(true);
                    throw e;
                  }
                })
            .meters(meters)
            .build();
    running.start();
    waiting.await();
    running.close();
    assertThat(interrupted).as("the waiting scrub was interrupted").isTrue();
    assertThat(waitedAgain).as("the scrub waited again after its interrupt").isFalse();
    assertThat(cache.revisions()).as("a read cut short drops nothing").containsExactly("r1");
    assertThat(corrupt("scrub")).isZero();
  }
}
