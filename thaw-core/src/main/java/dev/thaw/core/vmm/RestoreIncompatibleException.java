package dev.thaw.core.vmm;

/** The snapshot was made by a VMM, accelerator, machine or memory size this VMM cannot load. */
public class RestoreIncompatibleException extends RestoreException {
  public RestoreIncompatibleException(
      String message, String vmmMessage, String consoleTail, Throwable cause) {
    super(message, vmmMessage, consoleTail, cause);
  }
}
