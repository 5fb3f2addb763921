package dev.thaw.core.snapshot;

/** A manifest names a file that is not a plain name: it could point outside the snapshot. */
public class UnsafeFileNameException extends SnapshotFormatException {
  public UnsafeFileNameException(String name) {
    super("snapshot file name is not a plain name: '" + name + "'", null);
  }
}
