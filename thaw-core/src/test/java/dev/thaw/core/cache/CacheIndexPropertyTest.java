package dev.thaw.core.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Random admits, commits, aborts, restores and removals from several threads, seeded: the capacity
 * is never exceeded, pinned entries are never evicted, and the bytes add up.
 */
class CacheIndexPropertyTest {
  private static final long CAPACITY = 1_000;
  private static final int THREADS = 4;
  private static final int STEPS = 5_000;

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 42, 2026})
  void invariantsHoldUnderConcurrentRandomOperations(long seed) throws Exception {
    AtomicLong clock = new AtomicLong();
    CacheIndex index =
        CacheIndex.builder().capacityBytes(CAPACITY).clock(clock::incrementAndGet).build();
    // Revisions some thread holds a pin on right now, with the number of pins held.
    ConcurrentHashMap<String, Integer> pinned = new ConcurrentHashMap<>();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    CountDownLatch done = new CountDownLatch(THREADS);
    for (int t = 0; t < THREADS; t++) {
      Random random = new Random(seed * 31 + t);
      int thread = t;
      new Thread(
              () -> {
                try {
                  run(index, random, thread, pinned);
                } catch (Throwable e) {
                  failure.compareAndSet(null, e);
                } finally {
                  done.countDown();
                }
              })
          .start();
    }
    assertThat(done.await(60, TimeUnit.SECONDS)).isTrue();
    assertThat(failure.get()).isNull();
    long sum = index.entries().stream().mapToLong(CacheEntry::bytes).sum();
    assertThat(sum).isEqualTo(index.usedBytes()).isLessThanOrEqualTo(CAPACITY);
  }

  private static void run(
      CacheIndex index, Random random, int thread, ConcurrentHashMap<String, Integer> pinned) {
    List<CacheIndex.Lease> held = new ArrayList<>();
    for (int step = 0; step < STEPS; step++) {
      // Each thread admits its own revisions (single-flight is the manager's job) and restores any.
      String own = "t" + thread + "-r" + random.nextInt(12);
      String any = "t" + random.nextInt(THREADS) + "-r" + random.nextInt(12);
      switch (random.nextInt(5)) {
        case 0, 1 -> {
          if (index.entries().stream().noneMatch(e -> e.revision().equals(own))) {
            long estimate = 1 + random.nextInt(400);
            index
                .admit(own, estimate)
                .ifPresent(
                    a -> {
                      if (random.nextInt(4) == 0) {
                        index.abort(a);
                        return;
                      }
                      long actual = Math.max(1, estimate + random.nextInt(200) - 100);
                      index
                          .commit(a, actual)
                          .ifPresent(
                              c -> {
                                index.release(c.lease());
                              });
                    });
          }
        }
        case 2 ->
            index
                .acquire(any)
                .ifPresent(
                    l -> {
                      pinned.merge(l.revision(), 1, Integer::sum);
                      held.add(l);
                    });
        case 3 -> {
          if (!held.isEmpty()) {
            CacheIndex.Lease l = held.remove(random.nextInt(held.size()));
            checkStillCached(index, l);
            pinned.computeIfPresent(l.revision(), (k, n) -> n == 1 ? null : n - 1);
            index.release(l);
          }
        }
        default -> {
          if (!pinned.containsKey(any)) {
            index.remove(any);
          }
        }
      }
      assertThat(index.usedBytes()).isBetween(0L, CAPACITY);
    }
    for (CacheIndex.Lease l : held) {
      pinned.computeIfPresent(l.revision(), (k, n) -> n == 1 ? null : n - 1);
      index.release(l);
    }
  }

  /** A pinned entry must survive until its lease is released: nothing may have evicted it. */
  private static void checkStillCached(CacheIndex index, CacheIndex.Lease lease) {
    assertThat(index.entries())
        .as("entry %s evicted while a restore held it", lease.revision())
        .anySatisfy(
            e -> {
              assertThat(e.revision()).isEqualTo(lease.revision());
              assertThat(e.ready()).isTrue();
              assertThat(e.pins()).isPositive();
            });
  }
}
