package dev.thaw.core.vmm;

import java.net.URI;
import java.nio.file.Path;

/**
 * One running (or paused) microVM. Its operations follow {@link VmState}; calling one in the wrong
 * phase throws {@link IllegalStateException}. Closing stops the VM and removes its working
 * directory; no VMM process outlives its handle.
 */
public interface MicroVm extends AutoCloseable {
  /** A short unique id, used in logs and file names. */
  String id();

  VmState state();

  /** Base URI of the function's HTTP endpoint on the host, e.g. {@code http://127.0.0.1:40123}. */
  URI endpoint();

  /** Stops the guest's vCPUs. RUNNING → PAUSED. */
  void pause();

  /** Lets the guest run again. PAUSED → RUNNING. */
  void resume();

  /**
   * Writes the VM's snapshot into {@code dir} (which must exist) as {@code memory} and {@code
   * state} files and stops the VM. PAUSED → SNAPSHOTTED → STOPPED.
   *
   * @throws SnapshotException when the VMM fails to save
   */
  VmSnapshot snapshot(Path dir);

  /** The last lines the guest printed on its console, for error reports. */
  String consoleTail();

  /** Stops the VM (RUNNING or PAUSED → STOPPED). Idempotent. */
  @Override
  void close();
}
