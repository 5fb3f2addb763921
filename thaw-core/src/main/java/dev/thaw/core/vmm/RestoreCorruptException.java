package dev.thaw.core.vmm;

/** The snapshot's files are damaged: truncated, missing or unreadable. */
public class RestoreCorruptException extends RestoreException {
  public RestoreCorruptException(
      String message, String vmmMessage, String consoleTail, Throwable cause) {
    super(message, vmmMessage, consoleTail, cause);
  }
}
