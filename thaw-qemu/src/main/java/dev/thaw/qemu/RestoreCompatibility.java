package dev.thaw.qemu;

import dev.thaw.core.vmm.RestoreCorruptException;
import dev.thaw.core.vmm.RestoreException;
import dev.thaw.core.vmm.RestoreIncompatibleException;
import dev.thaw.core.vmm.VmSnapshot;
import dev.thaw.core.vmm.VmmIdentity;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which snapshots one QEMU binary can restore. Its {@link VmmIdentity} comes from the binary's own
 * {@code --version}: snapshots cross neither release lines nor accelerators.
 *
 * <p>A snapshot is checked before QEMU starts for it, so that a snapshot QEMU could not use is
 * refused with its reason rather than found out from a failed start: a foreign identity is
 * incompatible; missing, empty or wrongly sized files, and a disk that is not a layer, are corrupt.
 * A failure QEMU reports while loading the state is sorted the same way by {@link #loadFailure}.
 */
final class RestoreCompatibility {
  private static final Pattern VERSION = Pattern.compile("version (\\d+\\.\\d+(?:\\.\\d+)?)");

  private final VmmIdentity identity;

  RestoreCompatibility(VmmIdentity identity) {
    this.identity = identity;
  }

  /**
   * Runs {@code binary --version}: the identity snapshots made by it with {@code accelerator}
   * carry.
   */
  static VmmIdentity probe(String binary, String accelerator) {
    return new VmmIdentity("qemu", detectVersion(binary), accelerator, "microvm");
  }

  VmmIdentity identity() {
    return identity;
  }

  /**
   * Refuses {@code snapshot} if this QEMU cannot restore it.
   *
   * @throws RestoreIncompatibleException when another VMM, release line or accelerator made it
   * @throws RestoreCorruptException when one of its files is missing, empty or of the wrong size
   * @throws RestoreException when the root filesystem image of its function is missing
   */
  void check(VmSnapshot snapshot) {
    if (!identity.canRestore(snapshot.vmm())) {
      throw new RestoreIncompatibleException(
          "snapshot made by " + snapshot.vmm() + " cannot be restored by " + identity,
          "",
          "",
          null);
    }
    long expected = snapshot.function().memoryBytes();
    for (Path file : List.of(snapshot.memoryFile(), snapshot.stateFile())) {
      if (!Files.isRegularFile(file)) {
        throw new RestoreCorruptException("snapshot file missing: " + file, "", "", null);
      }
    }
    long size = sizeOf(snapshot.memoryFile());
    if (size != expected) {
      // QEMU would silently extend a short file (and so write to it): refuse before it starts.
      throw new RestoreCorruptException(
          "memory file "
              + snapshot.memoryFile()
              + " is "
              + size
              + " bytes; the VM has "
              + expected
              + (size < expected ? " (truncated)" : ""),
          "",
          "",
          null);
    }
    if (sizeOf(snapshot.stateFile()) == 0) {
      throw new RestoreCorruptException(
          "state file " + snapshot.stateFile() + " is empty", "", "", null);
    }
    if (snapshot.function().fromImage()) {
      Path rootfs = snapshot.function().image().rootfs();
      if (!Files.isRegularFile(rootfs)) {
        throw new RestoreException(
            "root filesystem image " + rootfs + " of " + snapshot.function().id() + " is missing",
            "",
            "",
            null);
      }
      Path disk = snapshot.diskFile();
      try {
        DiskLayers.virtualSize(disk);
      } catch (IOException e) {
        throw new RestoreCorruptException(
            "disk file " + disk + " is not a layer: " + e.getMessage(), "", "", e);
      }
    }
  }

  /**
   * What QEMU's failure {@code e} to load the state of {@code snapshot} means, from its words and
   * {@code vmmOutput}: a memory layout that does not fit this VM is incompatible, anything else
   * corrupt.
   */
  static RestoreException loadFailure(VmSnapshot snapshot, IOException e, String vmmOutput) {
    String said = (e.getMessage() + "\n" + vmmOutput).strip();
    // QEMU names RAM blocks whose size differs from this VM's a "Size/Length mismatch".
    if (said.contains("Size mismatch")
        || said.contains("Length mismatch")
        || said.contains("Unknown ramblock")) {
      return new RestoreIncompatibleException(
          "snapshot state of " + snapshot.function().id() + " does not fit this VM's memory layout",
          said,
          "",
          e);
    }
    return new RestoreCorruptException(
        "QEMU could not load the snapshot state " + snapshot.stateFile(), said, "", e);
  }

  /** The version in QEMU's {@code --version} text, e.g. {@code 7.2.0} or {@code 8.2}. */
  static String parseVersion(String versionText) {
    Matcher m = VERSION.matcher(versionText);
    if (!m.find()) {
      throw new IllegalStateException("cannot parse the QEMU version from: " + versionText.strip());
    }
    return m.group(1);
  }

  private static String detectVersion(String binary) {
    try {
      Process p =
          ChildEnvironment.apply(
                  new ProcessBuilder(binary, "--version"),
                  ChildEnvironment.forQemu(System.getenv()))
              .redirectErrorStream(true)
              .start();
      String out = new String(p.getInputStream().readAllBytes());
      p.waitFor();
      return parseVersion(out);
    } catch (IOException e) {
      throw new IllegalStateException(
          "QEMU not found (" + binary + "): install qemu-system-x86 (scripts/setup does)", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while probing QEMU", e);
    }
  }

  private static long sizeOf(Path p) {
    try {
      return Files.size(p);
    } catch (IOException e) {
      throw new RestoreCorruptException("cannot read " + p + ": " + e.getMessage(), "", "", e);
    }
  }
}
