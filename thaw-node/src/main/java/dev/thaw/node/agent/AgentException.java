package dev.thaw.node.agent;

/** A request the agent cannot serve; {@link #status()} is the HTTP status that says why. */
public class AgentException extends RuntimeException {
  private final int status;

  public AgentException(int status, String message, Throwable cause) {
    super(message, cause);
    this.status = status;
  }

  public int status() {
    return status;
  }
}
