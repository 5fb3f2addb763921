package dev.thaw.core.vmm;

/** The VM started but its guest did not answer within the allowed time. */
public class GuestTimeoutException extends VmmException {
  public GuestTimeoutException(
      String message, String vmmMessage, String consoleTail, Throwable cause) {
    super(message, vmmMessage, consoleTail, cause);
  }
}
