package dev.thaw.core.snapshot;

/**
 * Base of every reason a snapshot's manifest or files are refused. A refused snapshot never enters
 * the cache and is never restored.
 */
public class SnapshotFormatException extends RuntimeException {
  public SnapshotFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
