package dev.thaw.image;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;

/**
 * Where an image comes from: an OCI image layout directory, an image tarball ({@code docker save}
 * or OCI archive) or a registry. {@link ImageSources#open} picks one for a reference.
 */
public interface ImageSource extends Closeable {
  /** Names the image for messages (never with credentials). */
  String describe();

  /**
   * Finds the image's linux/amd64 manifest and reads its config, both checked against their
   * digests.
   *
   * @throws NotAnImageException when there is no such image
   * @throws DigestMismatchException when the manifest or config does not match its digest
   */
  ResolvedImage resolve() throws IOException;

  /**
   * Opens a blob's raw bytes. Callers check them with a {@link VerifyingInputStream}: sources do
   * not.
   */
  InputStream openBlob(Descriptor blob) throws IOException;

  /**
   * The manifest digest the reference pins, when it pins one ({@code name@sha256:...}): an image
   * cached under it needs no look-up at all, so it starts even while its registry is away.
   */
  default java.util.Optional<String> pinnedDigest() {
    return java.util.Optional.empty();
  }

  @Override
  default void close() throws IOException {}
}
