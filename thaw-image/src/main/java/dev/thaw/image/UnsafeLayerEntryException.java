package dev.thaw.image;

/**
 * A layer entry Thaw refuses to extract, with the layer's digest, the entry's name and the reason.
 * Nothing is written outside the extraction root before this is thrown.
 */
public class UnsafeLayerEntryException extends ImageException {
  /** Why an entry is refused. */
  public enum Reason {
    /** A {@code ..} component: the name climbs out of where it is extracted. */
    PARENT_TRAVERSAL("its name climbs out with '..'"),
    /** A name starting with {@code /}. */
    ABSOLUTE_PATH("its name is an absolute path"),
    /**
     * The name passes through a symbolic link: extraction never follows links, since one can point
     * anywhere on the host.
     */
    THROUGH_SYMLINK("it would be written through a symbolic link"),
    /** A hard link whose target is missing, not a regular file, or unsafe itself. */
    BAD_HARD_LINK("its hard link target is not a regular file extracted before it"),
    /** A character or block device node. */
    DEVICE_NODE("it is a device node, which a function image has no use for"),
    /** A parent of the entry exists and is not a directory. */
    NOT_A_DIRECTORY("a parent of it is not a directory"),
    /** A name that is empty, has a NUL byte or is a whiteout of nothing. */
    BAD_NAME("its name is not a usable path");

    private final String text;

    Reason(String text) {
      this.text = text;
    }

    /** The reason in words. */
    public String text() {
      return text;
    }
  }

  private final String layer;
  private final String entry;
  private final Reason reason;

  public UnsafeLayerEntryException(String layer, String entry, Reason reason, String detail) {
    super(
        "layer "
            + layer
            + ": refused entry '"
            + entry
            + "': "
            + reason.text()
            + (detail == null || detail.isEmpty() ? "" : " (" + detail + ")"));
    this.layer = layer;
    this.entry = entry;
    this.reason = reason;
  }

  public String layer() {
    return layer;
  }

  public String entry() {
    return entry;
  }

  public Reason reason() {
    return reason;
  }
}
