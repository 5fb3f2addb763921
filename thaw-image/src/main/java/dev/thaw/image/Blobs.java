package dev.thaw.image;

import java.io.IOException;
import java.io.InputStream;

/** Small blob reads: manifests and configs, verified and bounded. */
final class Blobs {
  /** No manifest or config Thaw reads is this large; larger ones are refused unread. */
  static final long MAX_METADATA_BYTES = 4 << 20;

  private Blobs() {}

  /** Reads a whole small blob, checked against {@code d}. */
  static byte[] readVerified(InputStream raw, Descriptor d, String what) throws IOException {
    if (d.size() > MAX_METADATA_BYTES) {
      throw new NotAnImageException(
          what + " is " + d.size() + " bytes; at most " + MAX_METADATA_BYTES + " are read");
    }
    try (VerifyingInputStream in = new VerifyingInputStream(raw, d, what)) {
      byte[] bytes = in.readAllBytes();
      in.verifyToEnd();
      return bytes;
    }
  }

  /**
   * Reads at most {@link #MAX_METADATA_BYTES} of an unverified file (an index or manifest.json).
   */
  static byte[] readBounded(InputStream in, String what) throws IOException {
    try (in) {
      byte[] bytes = in.readNBytes((int) MAX_METADATA_BYTES + 1);
      if (bytes.length > MAX_METADATA_BYTES) {
        throw new NotAnImageException(what + " is larger than " + MAX_METADATA_BYTES + " bytes");
      }
      return bytes;
    }
  }
}
