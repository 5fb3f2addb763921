package dev.thaw.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.thaw.core.function.BuiltinFunctions;
import dev.thaw.core.function.FunctionClient;
import dev.thaw.core.vmm.GuestTimeoutException;
import dev.thaw.core.vmm.MicroVm;
import dev.thaw.core.vmm.VmState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QemuBootIT {
  @TempDir Path work;

  private final FunctionClient client = new FunctionClient(Duration.ofSeconds(10));

  @Test
  void bootsHelloAndAnswersAnInvocation() {
    QemuVmm vmm = TestVms.vmm(work);
    try (MicroVm vm = vmm.boot(BuiltinFunctions.HELLO, Duration.ofSeconds(120))) {
      assertThat(vm.state()).isEqualTo(VmState.RUNNING);
      FunctionClient.Response r = client.get(vm.endpoint(), "/");
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).contains("\"message\":\"hello from thaw\"");
      assertThat(TestVms.processesMentioning(work)).hasSize(1);
      // Nothing connected before the guest listened: no stale attempt lingers in QEMU's network
      // to reach the guest later (one caught open by a snapshot kills every clone of it).
      assertThat(((QemuMicroVm) vm).usernet()).contains("HOST_FORWARD").doesNotContain("SYN_SENT");
      assertThat(((QemuMicroVm) vm).openConnections()).isEmpty();
    }
    assertThat(TestVms.processesMentioning(work)).isEmpty();
  }

  @Test
  void aGuestThatDoesNotAnswerInTimeFailsWithTheTimeoutErrorAndLeavesNoProcess() throws Exception {
    QemuVmm vmm = TestVms.vmm(work);
    // A cold boot takes seconds under TCG: the guest cannot be listening after 300 ms.
    assertThatThrownBy(() -> vmm.boot(BuiltinFunctions.HELLO, Duration.ofMillis(300)))
        .isInstanceOf(GuestTimeoutException.class)
        .hasMessageContaining("did not answer within PT0.3S after boot");
    assertThat(TestVms.processesMentioning(work)).isEmpty();
    try (var left = Files.list(work)) {
      assertThat(left).as("VM work directories left behind").isEmpty();
    }
  }
}
