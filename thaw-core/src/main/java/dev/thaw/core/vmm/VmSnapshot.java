package dev.thaw.core.vmm;

import dev.thaw.core.function.FunctionSpec;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * The files of one microVM snapshot as a VMM reads and writes them.
 *
 * <p>The memory file holds guest RAM byte for byte (sparse where the guest never wrote); the state
 * file holds CPU and device state. Restores map the memory file privately, so one file serves any
 * number of concurrent clones and is never modified by them.
 *
 * <p>A function from an image also has a disk file: its writable layer (everything it wrote over
 * its read-only root filesystem) as it was when the VM stopped, which is the moment the memory file
 * was taken, so the guest's page cache and the disk agree. Restores only read it: each clone writes
 * into a copy-on-write layer of its own over it. The root filesystem image itself is not a snapshot
 * file; the function names it ({@link dev.thaw.core.function.FunctionImage#rootfs}).
 *
 * @param function the function the VM was booted for (its memory size must match the files)
 * @param vmm the VMM that made the snapshot
 * @param memoryFile guest RAM
 * @param stateFile CPU and device state
 * @param diskFile the writable layer of a function from an image; null for the built-in ones
 * @param controlKey the key the snapshotted guest asks of control requests (its clones too, until
 *     each is given its own at resume); "" when the guest was given none
 */
public record VmSnapshot(
    FunctionSpec function,
    VmmIdentity vmm,
    Path memoryFile,
    Path stateFile,
    Path diskFile,
    String controlKey) {
  public VmSnapshot {
    Objects.requireNonNull(function, "function");
    controlKey = controlKey == null ? "" : controlKey;
    Objects.requireNonNull(vmm, "vmm");
    Objects.requireNonNull(memoryFile, "memoryFile");
    Objects.requireNonNull(stateFile, "stateFile");
    if (function.fromImage() && diskFile == null) {
      throw new IllegalArgumentException(
          "a snapshot of " + function.id() + " (a function from an image) needs its disk file");
    }
    if (!function.fromImage() && diskFile != null) {
      throw new IllegalArgumentException(
          "a snapshot of " + function.id() + " (a built-in function) has no disk file");
    }
  }

  /** A snapshot of a guest given no control key. */
  public VmSnapshot(
      FunctionSpec function, VmmIdentity vmm, Path memoryFile, Path stateFile, Path diskFile) {
    this(function, vmm, memoryFile, stateFile, diskFile, "");
  }

  /** This snapshot with its memory read from {@code memoryFile}. */
  public VmSnapshot withMemoryFile(Path memoryFile) {
    return new VmSnapshot(function, vmm, memoryFile, stateFile, diskFile, controlKey);
  }

  /** This snapshot of {@code function} (the same function as this node runs it). */
  public VmSnapshot withFunction(FunctionSpec function) {
    return new VmSnapshot(function, vmm, memoryFile, stateFile, diskFile, controlKey);
  }

  /** The snapshot of a function without a disk (a built-in one). */
  public VmSnapshot(FunctionSpec function, VmmIdentity vmm, Path memoryFile, Path stateFile) {
    this(function, vmm, memoryFile, stateFile, null);
  }

  /** The writable layer, for a function from an image. */
  public Optional<Path> disk() {
    return Optional.ofNullable(diskFile);
  }
}
