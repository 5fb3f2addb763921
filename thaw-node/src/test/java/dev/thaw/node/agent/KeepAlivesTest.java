package dev.thaw.node.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.core.function.Revision;
import dev.thaw.core.lifecycle.KeepAlivePolicy;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The agent feeds each revision's keep-alive tracker the idle time before each invocation. */
class KeepAlivesTest {
  private static final long MINUTE_NANOS = 60_000_000_000L;
  private final AtomicLong now = new AtomicLong();

  @Test
  void aFixedPolicyGivesEveryRevisionItsWindow() {
    KeepAlives k = new KeepAlives(KeepAlivePolicy.fixed(Duration.ofSeconds(60)), now::get);
    assertThat(k.windowNanos(Revision.of("never-invoked"))).isEqualTo(MINUTE_NANOS);
  }

  @Test
  void theHybridPolicyLearnsARevisionsIdleTimesAndKeepsItThroughThePrewarmWindow() {
    KeepAlives k = new KeepAlives(KeepAlivePolicy.hybrid(Duration.ofMinutes(10)), now::get);
    Revision timer = Revision.of("timer");
    Revision other = Revision.of("other");
    for (int i = 0; i < 12; i++) {
      k.started(timer);
      now.addAndGet(1_000_000_000L);
      k.ended(timer);
      // Idle 29.5 minutes before the next invocation.
      now.addAndGet(29 * MINUTE_NANOS + MINUTE_NANOS / 2);
    }
    // Pre-warm 26.1 min + keep-alive (33 - 26.1) min: the agent keeps the instance for 33 min.
    assertThat(k.windowNanos(timer)).isEqualTo(Math.round(30 * 60_000 * 1.1) * 1_000_000L);
    assertThat(k.windowNanos(other)).isEqualTo(10 * MINUTE_NANOS);
  }

  @Test
  void overlappingInvocationsAreNoIdleTime() {
    KeepAlives k = new KeepAlives(KeepAlivePolicy.hybrid(Duration.ofMinutes(10)), now::get);
    Revision busy = Revision.of("busy");
    k.started(busy);
    for (int i = 0; i < 20; i++) {
      // A second invocation starts 29 minutes later while the first still runs: not idle.
      now.addAndGet(29 * MINUTE_NANOS);
      k.started(busy);
      k.ended(busy);
    }
    assertThat(k.windowNanos(busy)).isEqualTo(10 * MINUTE_NANOS);
  }
}
