package dev.thaw.core.snapshot;

/** The manifest is not valid JSON, misses a field, or has a field this version does not define. */
public class MalformedManifestException extends SnapshotFormatException {
  public MalformedManifestException(String message, Throwable cause) {
    super(message, cause);
  }
}
