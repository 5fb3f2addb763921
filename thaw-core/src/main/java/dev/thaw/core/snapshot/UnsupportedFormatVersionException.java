package dev.thaw.core.snapshot;

/** The manifest's {@code formatVersion} is one this build cannot read. */
public class UnsupportedFormatVersionException extends SnapshotFormatException {
  public UnsupportedFormatVersionException(int found, int supported) {
    super(
        "snapshot manifest formatVersion "
            + found
            + " is not supported (this build reads "
            + supported
            + ")",
        null);
  }
}
