package dev.thaw.node.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.thaw.core.function.Revision;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Invocations that wait for a clone get it when it joins the pool, and never wait past it. */
class CloneWaitsTest {
  private static final Revision FN = Revision.of("fn");
  private final AtomicLong now = new AtomicLong();
  private final CloneWaits waits = new CloneWaits(now::get);

  @Test
  void aWaiterGetsTheCloneWhenItJoinsThePool() throws Exception {
    long clone = waits.begin(FN);
    now.addAndGet(TimeUnit.MILLISECONDS.toNanos(700));
    assertThat(waits.elapsedMs(FN)).containsExactly(700L);
    AtomicReference<String> pool = new AtomicReference<>();
    CompletableFuture<String> waiter =
        CompletableFuture.supplyAsync(
            () -> waits.await(FN, Duration.ofMinutes(5), () -> pool.getAndSet(null)));
    await().until(() -> waits.waiting(FN) == 1);

    pool.set("the clone");
    waits.signal();
    assertThat(waiter.get(30, TimeUnit.SECONDS)).isEqualTo("the clone");
    assertThat(waits.waiting(FN)).isZero();
    waits.end(FN, clone);
    assertThat(waits.making()).isEmpty();
  }

  @Test
  void aFailedCloneSendsItsWaitersToStartTheirOwn() throws Exception {
    long clone = waits.begin(FN);
    CompletableFuture<String> waiter =
        CompletableFuture.supplyAsync(() -> waits.await(FN, Duration.ofMinutes(5), () -> null));
    await().until(() -> waits.waiting(FN) == 1);

    waits.end(FN, clone);
    assertThat(waiter.get(30, TimeUnit.SECONDS)).isNull();
  }

  @Test
  void noCloneInTheMakingMeansNoWait() {
    assertThat(waits.<String>await(FN, Duration.ofMinutes(5), () -> null)).isNull();
    assertThat(waits.waiting(FN)).isZero();
  }

  @Test
  void aWaitEndsAtItsBound() {
    waits.begin(FN);
    assertThat(waits.<String>await(FN, Duration.ofMillis(50), () -> null)).isNull();
  }
}
