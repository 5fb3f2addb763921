package dev.thaw.core.vmm;

/** The VMM could not start a fresh VM. */
public class BootException extends VmmException {
  public BootException(String message, String vmmMessage, String consoleTail, Throwable cause) {
    super(message, vmmMessage, consoleTail, cause);
  }
}
