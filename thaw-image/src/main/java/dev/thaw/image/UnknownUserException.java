package dev.thaw.image;

/**
 * The image's config names a user or group its own /etc/passwd or /etc/group lacks (or an id out of
 * range), so there is nobody to run its program as.
 */
public class UnknownUserException extends ImageException {
  public UnknownUserException(String image, String reason) {
    super(image + ": " + reason);
  }
}
