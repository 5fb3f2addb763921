package dev.thaw.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pool's logic, with slots that are real processes ({@code sleep}), so that a leak is a live
 * process handle and a dead slot a process that really exited.
 */
class VmmPoolTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  /** Every process any test started, alive or not. */
  private final List<Process> started = new CopyOnWriteArrayList<>();

  private final AtomicInteger starts = new AtomicInteger();

  /** A slot that is a {@code sleep} process. */
  private record Sleeper(Process process, int vcpus) implements VmmPool.Slot {
    @Override
    public boolean isAlive() {
      return process.isAlive();
    }

    @Override
    public void close() {
      process.destroyForcibly();
      try {
        process.waitFor(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private Sleeper start(int vcpus) throws Exception {
    starts.incrementAndGet();
    Process p = new ProcessBuilder("sleep", "300").start();
    started.add(p);
    return new Sleeper(p, vcpus);
  }

  private List<Process> alive() {
    return started.stream().filter(Process::isAlive).toList();
  }

  @AfterEach
  void noProcessOutlivesATest() {
    started.forEach(Process::destroyForcibly);
  }

  @Test
  void fillsToItsSizeAndRefillsAfterATake() throws Exception {
    try (VmmPool<Sleeper> pool = new VmmPool<>(3, this::start)) {
      assertThat(pool.awaitFull(WAIT)).isTrue();
      assertThat(alive()).hasSize(3);

      Optional<Sleeper> taken = pool.take(1);
      assertThat(taken).isPresent();
      assertThat(taken.get().isAlive()).isTrue();
      assertThat(pool.idle()).isEqualTo(2); // no refill until the restore asks for one

      pool.refill();
      assertThat(pool.awaitFull(WAIT)).isTrue();
      assertThat(starts).hasValue(4);
      assertThat(alive()).hasSize(4); // three idle and the one handed out
      taken.get().close();
    }
  }

  @Test
  void startsNothingWhileARestoreIsUnderWay() throws Exception {
    try (VmmPool<Sleeper> pool = new VmmPool<>(2, this::start)) {
      assertThat(pool.awaitFull(WAIT)).isTrue();
      VmmPool.Restoring first = pool.restoring();
      VmmPool.Restoring second = pool.restoring();
      Optional<Sleeper> a = pool.take(1);
      Optional<Sleeper> b = pool.take(1);
      assertThat(a).isPresent();
      assertThat(b).isPresent();

      first.close(); // asks for a refill while the second restore goes on
      first.close(); // closing it again does not end the second
      await().during(Duration.ofMillis(500)).atMost(WAIT).until(() -> starts.get() == 2);
      assertThat(pool.idle()).isZero();

      second.close();
      assertThat(pool.awaitFull(WAIT)).isTrue();
      assertThat(starts).hasValue(4);
      a.get().close();
      b.get().close();
    }
  }

  @Test
  void aRefillAskedForAgainWaitsForTheLaterOne() throws Exception {
    try (VmmPool<Sleeper> pool = new VmmPool<>(1, this::start, Duration.ofSeconds(2))) {
      assertThat(pool.awaitFull(WAIT)).isTrue();
      Optional<Sleeper> taken = pool.take(1);
      assertThat(taken).isPresent();

      // Restores every 100 ms: each puts the refill off by the delay again, so none starts.
      for (int i = 0; i < 10; i++) {
        pool.refill();
        Thread.sleep(100);
      }
      assertThat(starts).hasValue(1);
      assertThat(pool.awaitFull(WAIT)).isTrue();
      assertThat(starts).hasValue(2);
      taken.get().close();
    }
  }

  @Test
  void aDeadSlotIsClosedNotHandedOut() throws Exception {
    try (VmmPool<Sleeper> pool = new VmmPool<>(2, this::start)) {
      assertThat(pool.awaitFull(WAIT)).isTrue();
      for (Process p : List.copyOf(started)) {
        p.destroyForcibly().waitFor();
      }

      // Both idle slots are dead: the take finds none, and the refill replaces them.
      assertThat(pool.take(1)).isEmpty();
      assertThat(pool.idle()).isZero();
      pool.refill();
      assertThat(pool.awaitFull(WAIT)).isTrue();
      Optional<Sleeper> taken = pool.take(1);
      assertThat(taken).isPresent();
      assertThat(taken.get().isAlive()).isTrue();
      taken.get().close();
    }
  }

  @Test
  void neverHoldsMoreThanItsSizeEvenWhileStartsAreSlow() throws Exception {
    AtomicInteger live = new AtomicInteger();
    AtomicInteger most = new AtomicInteger();
    CountDownLatch release = new CountDownLatch(1);
    VmmPool.Starter<Sleeper> slow =
        vcpus -> {
          most.accumulateAndGet(live.incrementAndGet(), Math::max);
          release.await();
          return start(vcpus);
        };
    try (VmmPool<Sleeper> pool = new VmmPool<>(2, slow)) {
      for (int i = 0; i < 10; i++) {
        assertThat(pool.take(1)).isEmpty(); // nothing is started yet: every take misses
        pool.refill();
      }
      release.countDown();
      assertThat(pool.awaitFull(WAIT)).isTrue();
      assertThat(pool.idle()).isEqualTo(2);
      assertThat(alive()).hasSize(2);
    }
    assertThat(most.get()).isLessThanOrEqualTo(2);
  }

  @Test
  void aTakeOfAnotherShapeMakesRoomForIt() throws Exception {
    try (VmmPool<Sleeper> pool = new VmmPool<>(1, this::start)) {
      assertThat(pool.awaitFull(WAIT)).isTrue();
      Process oneVcpu = started.get(0);

      assertThat(pool.take(2)).isEmpty();
      await().atMost(WAIT).until(() -> !oneVcpu.isAlive());
      pool.refill();
      assertThat(pool.awaitFull(WAIT)).isTrue();
      Optional<Sleeper> two = pool.take(2);
      assertThat(two).hasValueSatisfying(s -> assertThat(s.vcpus()).isEqualTo(2));
      two.get().close();
    }
  }

  @Test
  void closeStopsEveryIdleSlotAndOneBeingStarted() throws Exception {
    CountDownLatch inStart = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger calls = new AtomicInteger();
    VmmPool.Starter<Sleeper> lastIsSlow =
        vcpus -> {
          if (calls.incrementAndGet() == 3) {
            inStart.countDown();
            release.await();
          }
          return start(vcpus);
        };
    VmmPool<Sleeper> pool = new VmmPool<>(3, lastIsSlow);
    assertThat(inStart.await(30, TimeUnit.SECONDS)).isTrue();
    await().atMost(WAIT).until(() -> pool.idle() == 2);

    Thread closer = new Thread(pool::close);
    closer.start();
    await().atMost(WAIT).until(() -> alive().isEmpty()); // the two idle ones
    release.countDown(); // the third start completes after the close
    closer.join(30_000);

    assertThat(started).hasSize(3);
    assertThat(alive()).isEmpty();
    assertThat(pool.take(1)).isEmpty();
  }

  @Test
  void aFailedStartStopsTheRefillUntilTheNextOne() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    VmmPool.Starter<Sleeper> failing =
        vcpus -> {
          calls.incrementAndGet();
          throw new IllegalStateException("no QEMU here");
        };
    try (VmmPool<Sleeper> pool = new VmmPool<>(4, failing)) {
      await().atMost(WAIT).until(() -> calls.get() == 1);
      assertThat(pool.awaitFull(Duration.ofMillis(200))).isFalse();
      assertThat(calls).hasValue(1);

      assertThat(pool.take(1)).isEmpty();
      pool.refill();
      await().atMost(WAIT).until(() -> calls.get() == 2);
    }
  }

  @Test
  void workInQuietTakesIdleSlotsNeverBesideARestoreAndThePoolRefillsAfterIt() throws Exception {
    List<Sleeper> staged = new CopyOnWriteArrayList<>();
    AtomicInteger wanted = new AtomicInteger(2);
    try (VmmPool<Sleeper> pool = new VmmPool<>(1, this::start)) {
      assertThat(pool.awaitFull(WAIT)).isTrue();
      VmmPool.Restoring restoring = pool.restoring();
      pool.quietWork(
          () -> {
            if (wanted.get() == 0 || !pool.hasIdle(1)) {
              return false;
            }
            wanted.decrementAndGet();
            staged.add(pool.take(1).orElseThrow());
            return true;
          },
          Duration.ofMillis(50));
      await().during(Duration.ofMillis(500)).atMost(WAIT).until(staged::isEmpty);

      restoring.close(); // quiet: the work takes the idle slot, the pool starts one, and so on
      await().atMost(WAIT).until(() -> staged.size() == 2);
      assertThat(pool.awaitFull(WAIT)).isTrue();
      assertThat(starts).hasValue(3);
      assertThat(alive()).hasSize(3);
    }
    assertThat(alive()).hasSize(2); // the two the work took are its own to close
  }

  @Test
  void periodicWorkInQuietStartsNoSlotAfterAFailedStart() throws Exception {
    AtomicInteger runs = new AtomicInteger();
    try (VmmPool<Sleeper> pool =
        new VmmPool<>(
            1,
            vcpus -> {
              starts.incrementAndGet();
              throw new IllegalStateException("no QEMU here");
            })) {
      await().atMost(WAIT).until(() -> starts.get() == 1);
      pool.quietWork(
          () -> {
            runs.incrementAndGet();
            return false;
          },
          Duration.ofMillis(20));
      await().atMost(WAIT).until(() -> runs.get() >= 10);
      assertThat(starts).hasValue(1);
    }
  }

  @Test
  void aPoolStartsNothingWhileAnotherAgentOfTheHostRestores(@TempDir Path tmp) throws Exception {
    HostQuiet host = HostQuiet.open(tmp.resolve("quiet")).orElseThrow();
    HostQuiet otherAgent = HostQuiet.open(tmp.resolve("quiet")).orElseThrow();
    try (VmmPool<Sleeper> pool = new VmmPool<>(1, this::start, Duration.ofMillis(100))) {
      assertThat(pool.awaitFull(WAIT)).isTrue();
      pool.hostQuiet(host);
      VmmPool.Restoring elsewhere = otherAgent.restoring();
      VmmPool.Restoring here = pool.restoring();
      assertThat(pool.take(1)).isPresent().get().satisfies(Sleeper::close);
      here.close(); // this pool's quiet comes, the host's does not
      await().during(Duration.ofMillis(600)).atMost(WAIT).until(() -> starts.get() == 1);

      elsewhere.close(); // the pool looks again by itself, and fills
      assertThat(pool.awaitFull(WAIT)).isTrue();
      assertThat(starts).hasValue(2);
    }
  }

  @Test
  void aPoolHoldsOneSlotOrMore() {
    assertThatThrownBy(() -> new VmmPool<>(0, this::start))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1 slot or more");
  }
}
