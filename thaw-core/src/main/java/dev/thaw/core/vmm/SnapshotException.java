package dev.thaw.core.vmm;

/** The VMM could not save a snapshot. */
public class SnapshotException extends VmmException {
  public SnapshotException(String message, String vmmMessage, String consoleTail, Throwable cause) {
    super(message, vmmMessage, consoleTail, cause);
  }
}
