package dev.thaw.core.vmm;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class VmStateTest {
  @Test
  void snapshotOnlyFromPaused() {
    assertThatCode(() -> VmState.PAUSED.checkTransition(VmState.SNAPSHOTTED, "snapshot"))
        .doesNotThrowAnyException();
    assertThatThrownBy(() -> VmState.RUNNING.checkTransition(VmState.SNAPSHOTTED, "snapshot"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("cannot snapshot a VM that is running");
  }

  @Test
  void aSnapshottedVmNeverRunsAgain() {
    assertThatThrownBy(() -> VmState.SNAPSHOTTED.checkTransition(VmState.RUNNING, "resume"))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void stoppedIsFinal() {
    for (VmState target : VmState.values()) {
      assertThatThrownBy(() -> VmState.STOPPED.checkTransition(target, "use"))
          .isInstanceOf(IllegalStateException.class);
    }
  }
}
