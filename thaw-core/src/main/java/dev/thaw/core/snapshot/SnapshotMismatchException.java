package dev.thaw.core.snapshot;

/** A snapshot file's size or SHA-256 differs from the manifest, or the file is missing. */
public class SnapshotMismatchException extends SnapshotFormatException {
  public SnapshotMismatchException(String message, Throwable cause) {
    super(message, cause);
  }
}
