package dev.thaw.core.vmm;

import java.time.Duration;

/**
 * A VMM started ahead of a restore, waiting for the snapshot's files to be complete: its start-up
 * overlaps the fetch of the snapshot. Use it for one restore, or close it to stop the VMM.
 */
public interface PreparedRestore extends AutoCloseable {
  /**
   * Loads {@code snapshot} (whose memory file is the one the VMM was prepared with), resumes it and
   * waits until its guest answers; see {@link Vmm#restore}.
   */
  MicroVm restore(VmSnapshot snapshot, Duration readyTimeout);

  /**
   * {@link #restore(VmSnapshot, Duration)} with a wait as {@link Vmm#restore(VmSnapshot,
   * RestoreWait)}.
   */
  default MicroVm restore(VmSnapshot snapshot, RestoreWait wait) {
    return restore(snapshot, wait.running());
  }

  /** Stops the VMM unless {@link #restore} handed it over. */
  @Override
  void close();

  /**
   * Nothing started ahead: {@code vmm} restores the snapshot it is given, on the snapshot's own
   * files, when it is given (for files fetched whole, where there is nothing to overlap).
   */
  static PreparedRestore none(Vmm vmm) {
    return new PreparedRestore() {
      @Override
      public MicroVm restore(VmSnapshot snapshot, Duration readyTimeout) {
        return vmm.restore(snapshot, readyTimeout);
      }

      @Override
      public MicroVm restore(VmSnapshot snapshot, RestoreWait wait) {
        return vmm.restore(snapshot, wait);
      }

      @Override
      public void close() {}
    };
  }
}
