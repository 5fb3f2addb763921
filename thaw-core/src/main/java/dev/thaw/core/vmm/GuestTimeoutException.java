package dev.thaw.core.vmm;

import java.util.Optional;

/** The VM started but its guest did not answer within the allowed time. */
public class GuestTimeoutException extends VmmException {
  private final transient GuestWait waited;

  public GuestTimeoutException(
      String message, String vmmMessage, String consoleTail, Throwable cause) {
    this(message, vmmMessage, consoleTail, cause, null);
  }

  /**
   * @param waited what the wait consisted of, where the VMM measured it (null: unknown)
   */
  public GuestTimeoutException(
      String message, String vmmMessage, String consoleTail, Throwable cause, GuestWait waited) {
    super(message, vmmMessage, consoleTail, cause);
    this.waited = waited;
  }

  /** What the wait consisted of; empty when the VMM did not measure it. */
  public Optional<GuestWait> waited() {
    return Optional.ofNullable(waited);
  }
}
