package dev.thaw.bench.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ClosedLoopTest {
  /** A clock that moves only when the exchange says so: 1 ms per request. */
  private final AtomicLong now = new AtomicLong();

  @Test
  void everyClientSendsBackToBackUntilTheTimeIsUpAndEveryRequestIsCountedOnce() throws Exception {
    AtomicInteger sent = new AtomicInteger();
    Set<Integer> clients = ConcurrentHashMap.newKeySet();
    // Every client's first request waits for the others': the clients run at once.
    CountDownLatch allSending = new CountDownLatch(4);
    ClosedLoop loop = new ClosedLoop(4, Duration.ofMillis(200), now::get);
    LoadSample s =
        loop.run(
            client -> {
              if (clients.add(client)) {
                allSending.countDown();
                if (!allSending.await(30, TimeUnit.SECONDS)) {
                  throw new IllegalStateException("the clients did not run at once");
                }
              }
              int n = sent.incrementAndGet();
              now.addAndGet(1_000_000);
              if (n % 10 == 0) {
                return false;
              }
              if (n % 25 == 0) {
                throw new IOException("reset");
              }
              return true;
            });
    int afterRun = sent.get();
    assertThat(clients).containsExactlyInAnyOrder(0, 1, 2, 3);
    // The clock passes the deadline after 200 requests; each client may have one more in flight.
    assertThat(afterRun).isBetween(200, 204);
    assertThat(s.ms().size() + s.errors()).isEqualTo(afterRun);
    long unexpected = afterRun / 10;
    long thrown = afterRun / 25 - afterRun / 50;
    assertThat(s.errors()).isEqualTo(unexpected + thrown);
    assertThat(s.firstError()).isNotEmpty();
    assertThat(s.elapsed()).isGreaterThanOrEqualTo(Duration.ofMillis(200));
    assertThat(sent.get()).as("no client sends after the run returned").isEqualTo(afterRun);
  }

  @Test
  void throughputIsAnsweredRequestsOverTheTimeTheLoadRanAndSamplesAddUp() {
    LoadSample a =
        new LoadSample(java.util.List.of(1.0, 2.0, 3.0), 1, Duration.ofSeconds(1), "x: 500");
    LoadSample b = new LoadSample(java.util.List.of(4.0), 0, Duration.ofSeconds(1), "");
    LoadSample both = LoadSample.empty().plus(a).plus(b);
    assertThat(a.throughput()).isEqualTo(3.0);
    assertThat(both.ms()).containsExactly(1.0, 2.0, 3.0, 4.0);
    assertThat(both.errors()).isEqualTo(1);
    assertThat(both.throughput()).isEqualTo(2.0);
    assertThat(both.firstError()).isEqualTo("x: 500");
    assertThat(LoadSample.empty().throughput()).isZero();
  }

  @Test
  void aLoadWithoutClientsOrTimeIsRefused() {
    assertThatThrownBy(() -> new ClosedLoop(0, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ClosedLoop(1, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
