package dev.thaw.core.vmm;

import dev.thaw.core.function.FunctionSpec;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The port to a virtual machine monitor. One implementation exists: QEMU microvm over QMP ({@code
 * thaw-qemu}); a Firecracker driver would implement the same port over Firecracker's REST API.
 * Implementations return VMs that have answered a health request on their endpoint.
 */
public interface Vmm {
  /** The identity written into every snapshot this VMM makes. */
  VmmIdentity identity();

  /**
   * Boots a fresh microVM for {@code function} and waits until its guest answers.
   *
   * @throws BootException when the VMM fails to start the VM
   * @throws GuestTimeoutException when the guest does not answer within {@code readyTimeout}
   */
  MicroVm boot(FunctionSpec function, Duration readyTimeout);

  /**
   * Starts a clone of {@code snapshot}, resumes it and waits until its guest answers.
   *
   * @throws RestoreIncompatibleException when this VMM cannot load the snapshot
   * @throws RestoreCorruptException when the snapshot files are damaged
   * @throws RestoreException when the VMM fails otherwise
   * @throws GuestTimeoutException when the guest does not answer within {@code readyTimeout}
   */
  MicroVm restore(VmSnapshot snapshot, Duration readyTimeout);

  /**
   * {@link #restore(VmSnapshot, Duration)}, waiting for the guest as {@code wait} says: a VMM that
   * can tell how long it was held off a CPU stretches the wait by that time, up to {@link
   * RestoreWait#patience}; its {@link GuestTimeoutException} then says so ({@link
   * GuestTimeoutException#waited}). By default, a plain wait of {@link RestoreWait#running}.
   */
  default MicroVm restore(VmSnapshot snapshot, RestoreWait wait) {
    return restore(snapshot, wait.running());
  }

  /**
   * Starts the VMM for a restore of a {@code function} snapshot whose memory file exists at its
   * full size but is still being filled; {@link PreparedRestore#restore} loads it once complete.
   * The VMM maps {@code memoryFile} whatever the memory file of the snapshot given then (another
   * name of it, or the file that a served {@code memoryFile} fills from).
   *
   * @throws RestoreException when the VMM cannot be started
   */
  PreparedRestore prepareRestore(FunctionSpec function, Path memoryFile);

  /**
   * Says that {@code snapshot}, whose files stay where they are (a cached snapshot), may be
   * restored here soon: a driver that can do part of a restore ahead does it when it has nothing
   * else to do (QEMU's staged restores). By default nothing is done.
   */
  default void expectRestore(VmSnapshot snapshot) {}
}
