package dev.thaw.http;

/**
 * A request answered with an error status and a one-line reason, as a JSON body {@code
 * {"error":"…"}}. Thrown by handlers; the edge writes it.
 */
public class HttpRefusal extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int status;

  public HttpRefusal(int status, String message) {
    this(status, message, null);
  }

  public HttpRefusal(int status, String message, Throwable cause) {
    super(message, cause);
    if (status < 400 || status > 599) {
      throw new IllegalArgumentException("not an error status: " + status);
    }
    this.status = status;
  }

  public int status() {
    return status;
  }
}
