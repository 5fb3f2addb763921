package dev.thaw.core.bench;

/** A document that is not a bench result {@link BenchResultCodec} can read, and why. */
public final class MalformedBenchResultException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public MalformedBenchResultException(String message, Throwable cause) {
    super(message, cause);
  }
}
