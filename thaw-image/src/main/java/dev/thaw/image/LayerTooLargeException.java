package dev.thaw.image;

/** A layer, or all layers together, larger than the configured limit. */
public class LayerTooLargeException extends ImageException {
  public LayerTooLargeException(String message) {
    super(message);
  }
}
