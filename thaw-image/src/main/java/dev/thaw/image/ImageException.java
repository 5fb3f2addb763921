package dev.thaw.image;

import java.io.IOException;

/**
 * Base of every refusal to turn an image into a root filesystem. Each subclass is one reason; the
 * message names what was refused (the image, the layer digest, the entry) and never credentials.
 */
public class ImageException extends IOException {
  public ImageException(String message) {
    super(message);
  }

  public ImageException(String message, Throwable cause) {
    super(message, cause);
  }
}
