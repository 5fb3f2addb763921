package dev.thaw.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.thaw.core.vmm.BootException;
import dev.thaw.core.vmm.GuestTimeoutException;
import dev.thaw.core.vmm.RestoreException;
import dev.thaw.core.vmm.RestoreIncompatibleException;
import dev.thaw.core.vmm.VmmException;
import dev.thaw.qemu.GuestProbe.Outcome;
import dev.thaw.qemu.GuestProbe.Result;
import dev.thaw.qemu.GuestReadiness.After;
import java.time.Duration;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** Which failure a guest that did not come up is, after a boot and after a restore. */
class GuestReadinessTest {
  private static final String WHAT = "hello (restore-hello-1-x)";

  /** Where a failure's own words end and the VMM's begin (every case here has VMM output). */
  private static final String VMM_SAID = "\n  VMM said: ";

  private static final Duration TIMEOUT = Duration.ofSeconds(5);
  private static final Supplier<String> NOT_ASKED =
      () -> {
        throw new AssertionError("only a guest that did not answer in time is diagnosed");
      };

  @Test
  void aGuestThatDidNotAnswerInTimeTimedOutWithTheDiagnosis() {
    for (After after : After.values()) {
      VmmException e =
          GuestReadiness.probeFailure(
              after,
              WHAT,
              Result.of(Outcome.TIMED_OUT),
              TIMEOUT,
              "qemu said",
              "console",
              () -> "QMP");
      assertThat(e)
          .isExactlyInstanceOf(GuestTimeoutException.class)
          .hasMessageStartingWith(
              "guest of " + WHAT + " did not answer within PT5S after " + after + VMM_SAID);
      assertThat(e.vmmMessage()).isEqualTo("qemu said\nQMP");
      assertThat(e.consoleTail()).isEqualTo("console");
    }
  }

  @Test
  void aRestoredGuestThatDoesNotKnowResumeIsIncompatible() {
    VmmException e = refused(After.RESTORE, 404, "not found");
    assertThat(e)
        .isExactlyInstanceOf(RestoreIncompatibleException.class)
        .hasMessageContaining("does not know /_thaw/resume");
  }

  @Test
  void aRestoredGuestThatSaysNoCouldNotResumeAndSaysWhy() {
    VmmException e = refused(After.RESTORE, 500, " no entropy \n");
    assertThat(e)
        .isExactlyInstanceOf(RestoreException.class)
        .hasMessageStartingWith(
            "guest of " + WHAT + " could not resume: HTTP 500 no entropy" + VMM_SAID);
  }

  @Test
  void aBootedGuestThatSaysNoFailsTheBootWhateverItsStatus() {
    for (int status : new int[] {404, 503}) {
      assertThat(refused(After.BOOT, status, "busy"))
          .isExactlyInstanceOf(BootException.class)
          .hasMessageStartingWith(
              "guest of "
                  + WHAT
                  + " answered its readiness probe with HTTP "
                  + status
                  + " busy"
                  + VMM_SAID);
    }
  }

  @Test
  void qemuExitingFailsTheOperationItExitedIn() {
    assertThat(exited(After.BOOT))
        .isExactlyInstanceOf(BootException.class)
        .hasMessageStartingWith("QEMU exited during boot of " + WHAT + VMM_SAID);
    assertThat(exited(After.RESTORE))
        .isExactlyInstanceOf(RestoreException.class)
        .hasMessageStartingWith("QEMU exited during restore of " + WHAT + VMM_SAID);
  }

  @Test
  void aReadyGuestIsNoFailure() {
    assertThatThrownBy(
            () ->
                GuestReadiness.probeFailure(
                    After.BOOT,
                    WHAT,
                    new Result(Outcome.READY, 200, "ok"),
                    TIMEOUT,
                    "",
                    "",
                    NOT_ASKED))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static VmmException refused(After after, int status, String body) {
    VmmException e =
        GuestReadiness.probeFailure(
            after,
            WHAT,
            new Result(Outcome.REFUSED, status, body),
            TIMEOUT,
            "out",
            "tail",
            NOT_ASKED);
    assertThat(e.vmmMessage()).isEqualTo("out");
    assertThat(e.consoleTail()).isEqualTo("tail");
    return e;
  }

  private static VmmException exited(After after) {
    return GuestReadiness.probeFailure(
        after, WHAT, Result.of(Outcome.VMM_EXITED), TIMEOUT, "out", "tail", NOT_ASKED);
  }
}
