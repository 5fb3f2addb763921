package dev.thaw.node.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.core.vmm.RestorePhases;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class RestorePhaseTimersTest {
  @Test
  void eachPhaseIsATimerTaggedWithItsPhaseAndWhetherTheVmmWasPooledOrStaged() {
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    RestorePhaseTimers timers = new RestorePhaseTimers(meters);
    timers.accept(
        new RestorePhases(
            true, Duration.ofMillis(12), Duration.ofMillis(7), Duration.ofMillis(1), ms(60)));
    timers.accept(
        new RestorePhases(false, ms(30), Duration.ofMillis(8), Duration.ofMillis(2), ms(70)));
    timers.accept(
        new RestorePhases(false, ms(34), Duration.ofMillis(9), Duration.ofMillis(2), ms(66)));
    timers.accept(
        new RestorePhases(true, ms(1), Duration.ZERO, Duration.ofMillis(1), ms(50), true));

    assertThat(timer(meters, "start", "true").totalTime(TimeUnit.MILLISECONDS)).isEqualTo(12);
    Timer staged =
        meters.get("thaw.vmm.restore").tag("phase", "answer").tag("staged", "true").timer();
    assertThat(staged.count()).isEqualTo(1);
    assertThat(staged.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(50);
    assertThat(timer(meters, "start", "false").count()).isEqualTo(2);
    assertThat(timer(meters, "start", "false").totalTime(TimeUnit.MILLISECONDS)).isEqualTo(64);
    assertThat(timer(meters, "answer", "false").totalTime(TimeUnit.MILLISECONDS)).isEqualTo(136);
    assertThat(timer(meters, "load", "true").totalTime(TimeUnit.MILLISECONDS)).isEqualTo(7);
    assertThat(timer(meters, "resume", "false").totalTime(TimeUnit.MILLISECONDS)).isEqualTo(4);
  }

  private static Duration ms(long millis) {
    return Duration.ofMillis(millis);
  }

  private static Timer timer(SimpleMeterRegistry meters, String phase, String pooled) {
    return meters
        .get("thaw.vmm.restore")
        .tag("phase", phase)
        .tag("pooled", pooled)
        .tag("staged", "false")
        .timer();
  }
}
