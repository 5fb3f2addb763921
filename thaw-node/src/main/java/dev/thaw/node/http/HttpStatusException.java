package dev.thaw.node.http;

/**
 * A request the agent or the gateway cannot serve; {@link #status()} is the HTTP status that says
 * why.
 */
public class HttpStatusException extends RuntimeException {
  private final int status;

  public HttpStatusException(int status, String message, Throwable cause) {
    super(message, cause);
    this.status = status;
  }

  public int status() {
    return status;
  }
}
