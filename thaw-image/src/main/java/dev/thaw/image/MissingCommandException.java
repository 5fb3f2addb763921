package dev.thaw.image;

/** The image's config has neither an entrypoint nor a cmd, and no command was given instead. */
public class MissingCommandException extends ImageException {
  public MissingCommandException(String image) {
    super(
        image
            + ": the image config has neither Entrypoint nor Cmd, so there is nothing to start;"
            + " set one in the image or give the function a command");
  }
}
