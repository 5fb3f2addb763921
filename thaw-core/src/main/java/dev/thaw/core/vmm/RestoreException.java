package dev.thaw.core.vmm;

/** The VMM could not restore a snapshot. */
public class RestoreException extends VmmException {
  public RestoreException(String message, String vmmMessage, String consoleTail, Throwable cause) {
    super(message, vmmMessage, consoleTail, cause);
  }
}
