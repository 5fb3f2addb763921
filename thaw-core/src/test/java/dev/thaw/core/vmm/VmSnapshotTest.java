package dev.thaw.core.vmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.thaw.core.function.BuiltinFunctions;
import dev.thaw.core.function.FunctionImage;
import dev.thaw.core.function.FunctionSpec;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class VmSnapshotTest {
  private static final VmmIdentity QEMU = new VmmIdentity("qemu", "7.2.22", "tcg", "microvm");
  private static final FunctionSpec WEB =
      FunctionSpec.ofImage(
          "web",
          256,
          1,
          FunctionImage.of(Path.of("/i/web.ext4"), "sha256:" + "0".repeat(64), List.of("x"), 80));
  private static final Path MEMORY = Path.of("memory");
  private static final Path STATE = Path.of("state");

  @Test
  void aFunctionFromAnImageCarriesItsDiskAndABuiltInOneNone() {
    assertThat(new VmSnapshot(WEB, QEMU, MEMORY, STATE, Path.of("disk")).disk())
        .contains(Path.of("disk"));
    assertThat(new VmSnapshot(BuiltinFunctions.HELLO, QEMU, MEMORY, STATE).disk()).isEmpty();
    assertThatThrownBy(() -> new VmSnapshot(WEB, QEMU, MEMORY, STATE))
        .hasMessageContaining("needs its disk file");
    assertThatThrownBy(
            () -> new VmSnapshot(BuiltinFunctions.HELLO, QEMU, MEMORY, STATE, Path.of("disk")))
        .hasMessageContaining("has no disk file");
  }
}
