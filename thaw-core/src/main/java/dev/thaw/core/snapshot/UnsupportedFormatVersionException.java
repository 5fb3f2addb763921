package dev.thaw.core.snapshot;

/** The manifest's {@code formatVersion} is one this build cannot read. */
public class UnsupportedFormatVersionException extends SnapshotFormatException {
  /**
   * @param found the manifest's version
   * @param supported the versions this build reads, for the message (e.g. "1 and 2")
   */
  public UnsupportedFormatVersionException(int found, String supported) {
    super(
        "snapshot manifest formatVersion "
            + found
            + " is not supported (this build reads "
            + supported
            + ")",
        null);
  }
}
