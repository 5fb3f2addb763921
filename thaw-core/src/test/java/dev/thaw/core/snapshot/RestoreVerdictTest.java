package dev.thaw.core.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.thaw.core.vmm.GuestWait;
import dev.thaw.core.vmm.RestoreWait;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RestoreVerdictTest {
  private static final RestoreWait WAIT = new RestoreWait(seconds(10), seconds(60));

  private static Duration seconds(long s) {
    return Duration.ofSeconds(s);
  }

  private static RestoreVerdict verdict(long wallSeconds, long heldOffSeconds) {
    return RestoreVerdict.of(
        WAIT, Optional.of(new GuestWait(seconds(wallSeconds), seconds(heldOffSeconds))));
  }

  @Test
  void aCloneThatCouldRunForItsDeadlineAndDidNotAnswerIsBroken() {
    assertThat(verdict(10, 0)).isInstanceOf(RestoreVerdict.Broken.class);
    // Starved for a while, but it still ran ten seconds before the patience ran out.
    assertThat(verdict(35, 25))
        .isInstanceOf(RestoreVerdict.Broken.class)
        .extracting(RestoreVerdict::reason)
        .asString()
        .contains("within 10000 ms of running");
  }

  @Test
  void aCloneHeldOffTheCpuUntilThePatienceRanOutSaysTheMachineIsTooSlow() {
    assertThat(verdict(60, 55))
        .isInstanceOf(RestoreVerdict.TooSlow.class)
        .extracting(RestoreVerdict::reason)
        .asString()
        .contains("could run only 5000 ms of its 10000 ms")
        .contains("55000 ms waiting for a CPU")
        .contains("too slow, not the snapshot");
  }

  @Test
  void theBoundaryIsTheDeadlineOfRunningTime() {
    assertThat(verdict(60, 50)).isInstanceOf(RestoreVerdict.Broken.class);
    assertThat(verdict(60, 51)).isInstanceOf(RestoreVerdict.TooSlow.class);
  }

  @Test
  void anUnmeasuredWaitIsJudgedByTheWallClockAlone() {
    assertThat(RestoreVerdict.of(WAIT, Optional.empty())).isInstanceOf(RestoreVerdict.Broken.class);
  }

  @Test
  void aWaitIsOverAfterItsRunningTimeOrItsPatience() {
    assertThat(WAIT.over(new GuestWait(seconds(9), seconds(0)))).isFalse();
    assertThat(WAIT.over(new GuestWait(seconds(10), seconds(0)))).isTrue();
    assertThat(WAIT.over(new GuestWait(seconds(30), seconds(25)))).isFalse();
    assertThat(WAIT.over(new GuestWait(seconds(60), seconds(59)))).isTrue();
  }

  @Test
  void theTimeHeldOffIsGivenAgainUpToThePatience() {
    assertThat(WAIT.end(new GuestWait(seconds(10), seconds(4)))).isEqualTo(seconds(14));
    assertThat(WAIT.end(new GuestWait(seconds(50), seconds(45)))).isEqualTo(seconds(55));
    assertThat(WAIT.end(new GuestWait(seconds(59), seconds(58)))).isEqualTo(seconds(60));
    assertThat(RestoreWait.of(seconds(3)).end(new GuestWait(seconds(2), seconds(2))))
        .as("a plain wait is never stretched")
        .isEqualTo(seconds(3));
  }

  @Test
  void aWaitHeldOffLongerThanItTookCountsAsHeldOffThroughout() {
    GuestWait w = new GuestWait(seconds(5), seconds(6));
    assertThat(w.heldOff()).isEqualTo(seconds(5));
    assertThat(w.running()).isZero();
  }

  @Test
  void aPatienceShorterThanTheRunningTimeIsRefused() {
    assertThatThrownBy(() -> new RestoreWait(seconds(10), seconds(5)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("patience");
  }
}
