package dev.thaw.core.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class KeepAlivePolicyTest {
  private static final long MINUTE = 60_000;

  @Test
  void fixedKeepsEveryInstanceTheSameWindow() {
    KeepAlivePolicy.Tracker t = KeepAlivePolicy.fixed(Duration.ofMinutes(10)).tracker();
    t.observeIdle(3 * MINUTE);
    assertThat(t.prewarmMillis()).isZero();
    assertThat(t.keepAliveMillis()).isEqualTo(10 * MINUTE);
  }

  @Test
  void hybridFollowsARegularIdleTime() {
    KeepAlivePolicy.Tracker t = KeepAlivePolicy.hybrid(Duration.ofMinutes(10)).tracker();
    // A timer every 30 minutes: idle times of 29.5 minutes, in bin 29.
    for (int i = 0; i < 20; i++) {
      t.observeIdle(29 * MINUTE + 30_000);
    }
    // Pre-warm: bin 29's lower edge less 10%; keep-alive: to bin 29's upper edge plus 10%.
    assertThat(t.prewarmMillis()).isEqualTo(Math.round(29 * MINUTE * 0.9));
    assertThat(t.keepAliveMillis())
        .isEqualTo(Math.round(30 * MINUTE * 1.1) - Math.round(29 * MINUTE * 0.9));
  }

  @Test
  void hybridFallsBackWhileItHasTooFewIdleTimes() {
    KeepAlivePolicy.Tracker t = KeepAlivePolicy.hybrid(Duration.ofMinutes(10)).tracker();
    for (int i = 0; i < 9; i++) {
      t.observeIdle(29 * MINUTE);
    }
    assertThat(t.prewarmMillis()).isZero();
    assertThat(t.keepAliveMillis()).isEqualTo(10 * MINUTE);
  }

  @Test
  void hybridFallsBackWhenIdleTimesSpreadEvenly() {
    KeepAlivePolicy.Tracker t = KeepAlivePolicy.hybrid(Duration.ofMinutes(10)).tracker();
    for (int m = 0; m < 240; m++) {
      t.observeIdle(m * MINUTE);
    }
    assertThat(t.prewarmMillis()).isZero();
    assertThat(t.keepAliveMillis()).isEqualTo(10 * MINUTE);
  }

  @Test
  void hybridFallsBackWhenMostIdleTimesLieBeyondTheRange() {
    KeepAlivePolicy.Tracker t = KeepAlivePolicy.hybrid(Duration.ofMinutes(10)).tracker();
    for (int i = 0; i < 30; i++) {
      t.observeIdle(i % 3 == 0 ? 5 * MINUTE : 300 * MINUTE);
    }
    assertThat(t.keepAliveMillis()).isEqualTo(10 * MINUTE);
  }

  @Test
  void aBusyFunctionGetsAShortWindowWithoutPrewarm() {
    KeepAlivePolicy.Tracker t = KeepAlivePolicy.hybrid(Duration.ofMinutes(10)).tracker();
    for (int i = 0; i < 1000; i++) {
      t.observeIdle(2_000);
    }
    assertThat(t.prewarmMillis()).isZero();
    assertThat(t.keepAliveMillis()).isEqualTo(Math.round(MINUTE * 1.1));
  }

  @Test
  void namesAreCheckedAndLabelled() {
    assertThat(KeepAlivePolicy.named("fixed", Duration.ofMinutes(10)).label())
        .isEqualTo("fixed 10m");
    assertThat(KeepAlivePolicy.named("Hybrid", Duration.ofMinutes(10)).label()).isEqualTo("hybrid");
    assertThatThrownBy(() -> KeepAlivePolicy.named("forever", Duration.ofMinutes(1)))
        .hasMessageContaining("fixed or hybrid");
    assertThatThrownBy(() -> KeepAlivePolicy.fixed(Duration.ZERO)).hasMessageContaining("positive");
  }
}
