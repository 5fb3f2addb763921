package dev.thaw.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.thaw.core.function.BuiltinFunctions;
import dev.thaw.core.function.FunctionImage;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.vmm.RestoreCorruptException;
import dev.thaw.core.vmm.RestoreException;
import dev.thaw.core.vmm.RestoreIncompatibleException;
import dev.thaw.core.vmm.VmSnapshot;
import dev.thaw.core.vmm.VmmIdentity;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every refusal of a snapshot before QEMU starts, and the sorting of QEMU's own load failures. */
class RestoreCompatibilityTest {
  private static final VmmIdentity QEMU_7_2 = new VmmIdentity("qemu", "7.2.0", "tcg", "microvm");
  private static final FunctionSpec HELLO = BuiltinFunctions.HELLO;

  private final RestoreCompatibility compatibility = new RestoreCompatibility(QEMU_7_2);

  @TempDir Path dir;

  @Test
  void aWholeSnapshotOfTheSameReleaseLineIsRestorable() throws IOException {
    VmSnapshot snapshot = snapshot(new VmmIdentity("qemu", "7.2.9", "tcg", "microvm"));
    assertThatCode(() -> compatibility.check(snapshot)).doesNotThrowAnyException();
  }

  @Test
  void anotherReleaseLineOrAcceleratorIsIncompatible() throws IOException {
    for (VmmIdentity maker :
        List.of(
            new VmmIdentity("qemu", "8.2.0", "tcg", "microvm"),
            new VmmIdentity("qemu", "7.2.0", "kvm", "microvm"))) {
      VmSnapshot snapshot = snapshot(maker);
      assertThatThrownBy(() -> compatibility.check(snapshot))
          .isExactlyInstanceOf(RestoreIncompatibleException.class)
          .hasMessageContaining("cannot be restored by " + QEMU_7_2);
    }
  }

  @Test
  void aMissingFileIsCorrupt() throws IOException {
    VmSnapshot snapshot = snapshot(QEMU_7_2);
    Files.delete(snapshot.stateFile());
    assertThatThrownBy(() -> compatibility.check(snapshot))
        .isExactlyInstanceOf(RestoreCorruptException.class)
        .hasMessageContaining("snapshot file missing: " + snapshot.stateFile());
  }

  @Test
  void aMemoryFileOfAnotherSizeIsCorruptAndATruncatedOneSaysSo() throws IOException {
    VmSnapshot snapshot = snapshot(QEMU_7_2);
    setLength(snapshot.memoryFile(), HELLO.memoryBytes() - 4096);
    assertThatThrownBy(() -> compatibility.check(snapshot))
        .isExactlyInstanceOf(RestoreCorruptException.class)
        .hasMessageEndingWith("(truncated)");
    setLength(snapshot.memoryFile(), HELLO.memoryBytes() + 4096);
    assertThatThrownBy(() -> compatibility.check(snapshot))
        .isExactlyInstanceOf(RestoreCorruptException.class)
        .hasMessageEndingWith("the VM has " + HELLO.memoryBytes());
  }

  @Test
  void anEmptyStateFileIsCorrupt() throws IOException {
    VmSnapshot snapshot = snapshot(QEMU_7_2);
    Files.write(snapshot.stateFile(), new byte[0]);
    assertThatThrownBy(() -> compatibility.check(snapshot))
        .isExactlyInstanceOf(RestoreCorruptException.class)
        .hasMessageContaining("is empty");
  }

  @Test
  void aFunctionFromAnImageNeedsItsRootImageAndALayerAsItsDisk() throws IOException {
    Path rootfs = Files.write(dir.resolve("root.ext4"), new byte[] {1});
    FunctionSpec web =
        FunctionSpec.ofImage(
            "web", 256, 1, FunctionImage.of(rootfs, "sha256:" + "a".repeat(64), List.of("x"), 80));
    Path disk = dir.resolve("disk");
    Files.write(disk, qcow2Header(64L << 20));
    VmSnapshot snapshot = new VmSnapshot(web, QEMU_7_2, memory(web), state(), disk, "");
    assertThatCode(() -> compatibility.check(snapshot)).doesNotThrowAnyException();

    Files.write(disk, "not a layer".getBytes());
    assertThatThrownBy(() -> compatibility.check(snapshot))
        .isExactlyInstanceOf(RestoreCorruptException.class)
        .hasMessageContaining("is not a layer");

    Files.delete(rootfs);
    assertThatThrownBy(() -> compatibility.check(snapshot))
        .isExactlyInstanceOf(RestoreException.class)
        .hasMessageContaining("root filesystem image " + rootfs + " of web is missing");
  }

  @Test
  void aMemoryLayoutQemuCannotMatchIsIncompatibleAnythingElseCorrupt() throws IOException {
    VmSnapshot snapshot = snapshot(QEMU_7_2);
    for (String said :
        List.of(
            "Length mismatch: mem: 0x10000000 in != 0x20000000",
            "Size mismatch: pc.ram",
            "Unknown ramblock \"pc.bios\"")) {
      RestoreException e =
          RestoreCompatibility.loadFailure(snapshot, new IOException("migration failed"), said);
      assertThat(e).isExactlyInstanceOf(RestoreIncompatibleException.class);
      assertThat(e.vmmMessage()).isEqualTo("migration failed\n" + said);
    }
    RestoreException other =
        RestoreCompatibility.loadFailure(
            snapshot, new IOException("migration failed: load of migration failed"), "");
    assertThat(other)
        .isExactlyInstanceOf(RestoreCorruptException.class)
        .hasMessageContaining(snapshot.stateFile().toString());
    assertThat(other.vmmMessage()).isEqualTo("migration failed: load of migration failed");
  }

  @Test
  void theVersionComesFromQemusOwnWords() {
    assertThat(
            RestoreCompatibility.parseVersion(
                "QEMU emulator version 7.2.0 (Debian 1:7.2+dfsg-7+deb12u6)\nCopyright (c)"))
        .isEqualTo("7.2.0");
    assertThat(RestoreCompatibility.parseVersion("QEMU emulator version 8.2")).isEqualTo("8.2");
    assertThatThrownBy(() -> RestoreCompatibility.parseVersion("qemu: command not found\n"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageEndingWith("from: qemu: command not found");
  }

  private VmSnapshot snapshot(VmmIdentity maker) throws IOException {
    return new VmSnapshot(HELLO, maker, memory(HELLO), state());
  }

  private Path memory(FunctionSpec function) throws IOException {
    Path memory = dir.resolve("memory");
    setLength(memory, function.memoryBytes());
    return memory;
  }

  private Path state() throws IOException {
    return Files.write(dir.resolve("state"), new byte[] {'Q', 'E', 'V', 'M'});
  }

  private static void setLength(Path file, long length) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.setLength(length);
    }
  }

  /** The first 32 bytes of a qcow2 image: magic, version, and the virtual size at offset 24. */
  private static byte[] qcow2Header(long virtualSize) {
    return ByteBuffer.allocate(32)
        .put(new byte[] {'Q', 'F', 'I', (byte) 0xfb})
        .putInt(3)
        .putLong(24, virtualSize)
        .array();
  }
}
