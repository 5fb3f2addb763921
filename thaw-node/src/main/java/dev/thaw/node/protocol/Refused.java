package dev.thaw.node.protocol;

import java.util.Objects;

/**
 * An invocation (or request) the agent or gateway refused or could not complete, with the kind of
 * refusal a caller acts on. The HTTP edge turns the kind into a status code; the engines never
 * speak HTTP.
 */
public final class Refused extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** What went wrong, from the caller's point of view. */
  public enum Kind {
    /** The request itself is malformed or names something invalid. */
    INVALID,
    /** Nothing is deployed under the revision. */
    UNKNOWN_REVISION,
    /** No room now (capacity, shutting down): the same request may succeed later or elsewhere. */
    NO_CAPACITY,
    /** What should have answered failed: a cold start, an instance, a node. */
    FAILED,
    /** The function did not answer within its timeout. */
    TIMED_OUT
  }

  private final Kind kind;

  public Refused(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = Objects.requireNonNull(kind);
  }

  public Kind kind() {
    return kind;
  }

  /** The HTTP status that carries {@code kind}: 400, 404, 503, 502 or 504. */
  public static int httpStatus(Kind kind) {
    return switch (kind) {
      case INVALID -> 400;
      case UNKNOWN_REVISION -> 404;
      case NO_CAPACITY -> 503;
      case FAILED -> 502;
      case TIMED_OUT -> 504;
    };
  }

  /** The kind an HTTP status carries back; anything unexpected is a failure. */
  public static Kind ofHttpStatus(int status) {
    return switch (status) {
      case 400 -> Kind.INVALID;
      case 404 -> Kind.UNKNOWN_REVISION;
      case 429, 503 -> Kind.NO_CAPACITY;
      case 504 -> Kind.TIMED_OUT;
      default -> Kind.FAILED;
    };
  }
}
