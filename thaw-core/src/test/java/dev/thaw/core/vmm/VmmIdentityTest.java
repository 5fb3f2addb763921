package dev.thaw.core.vmm;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class VmmIdentityTest {
  private final VmmIdentity host = new VmmIdentity("qemu", "7.2.19", "tcg", "microvm");

  @Test
  void restoresWithinOneReleaseLine() {
    assertThat(host.canRestore(new VmmIdentity("qemu", "7.2.3", "tcg", "microvm"))).isTrue();
  }

  @Test
  void refusesAnotherReleaseLineAcceleratorMachineOrKind() {
    assertThat(host.canRestore(new VmmIdentity("qemu", "8.0.0", "tcg", "microvm"))).isFalse();
    assertThat(host.canRestore(new VmmIdentity("qemu", "7.2.19", "kvm", "microvm"))).isFalse();
    assertThat(host.canRestore(new VmmIdentity("qemu", "7.2.19", "tcg", "q35"))).isFalse();
    assertThat(host.canRestore(new VmmIdentity("firecracker", "7.2.19", "tcg", "microvm")))
        .isFalse();
  }
}
