package dev.thaw.core.vmm;

/**
 * Base of every VMM operation error. Each carries what the VMM itself said and the tail of the
 * guest console, because that is where the reason usually is.
 */
public class VmmException extends RuntimeException {
  private final String vmmMessage;
  private final String consoleTail;

  public VmmException(String message, String vmmMessage, String consoleTail, Throwable cause) {
    super(compose(message, vmmMessage, consoleTail), cause);
    this.vmmMessage = vmmMessage == null ? "" : vmmMessage;
    this.consoleTail = consoleTail == null ? "" : consoleTail;
  }

  private static String compose(String message, String vmmMessage, String consoleTail) {
    StringBuilder s = new StringBuilder(message);
    if (vmmMessage != null && !vmmMessage.isBlank()) {
      s.append("\n  VMM said: ").append(vmmMessage.strip().replace("\n", "\n    "));
    }
    if (consoleTail != null && !consoleTail.isBlank()) {
      s.append("\n  guest console (last lines):\n    ")
          .append(consoleTail.strip().replace("\n", "\n    "));
    }
    return s.toString();
  }

  /** What the VMM process or its control API reported, or "" if nothing. */
  public String vmmMessage() {
    return vmmMessage;
  }

  /** The last lines of the guest console, or "" if the guest printed nothing. */
  public String consoleTail() {
    return consoleTail;
  }
}
