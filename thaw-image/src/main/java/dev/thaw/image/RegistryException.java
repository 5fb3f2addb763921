package dev.thaw.image;

/**
 * A registry refused or failed a request: an unknown repository, tag or digest, credentials it
 * rejected, or an error status. The message names the registry, repository and status, never
 * credentials or tokens.
 */
public class RegistryException extends ImageException {
  private final int status;

  public RegistryException(String message, int status) {
    super(message);
    this.status = status;
  }

  public RegistryException(String message, Throwable cause) {
    super(message, cause);
    this.status = 0;
  }

  /** The HTTP status, or 0 when the registry could not be reached. */
  public int status() {
    return status;
  }
}
