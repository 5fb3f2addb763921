package dev.thaw.image;

/**
 * What was given is not an image Thaw can run: not a layout, tarball or manifest; an unknown or
 * unsupported manifest type; no linux/amd64 image in an index; a reference that names nothing.
 */
public class NotAnImageException extends ImageException {
  public NotAnImageException(String message) {
    super(message);
  }

  public NotAnImageException(String message, Throwable cause) {
    super(message, cause);
  }
}
