package dev.thaw.image;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A content descriptor of the OCI image spec: what a blob is, its digest and its size. Only SHA-256
 * digests are accepted ({@code sha256:} and 64 lower-case hex digits), so a digest is always safe
 * to use as a file name.
 *
 * @param mediaType the blob's media type as the manifest gives it ("" when it gives none)
 * @param digest {@code sha256:<hex>}
 * @param size the blob's size in bytes, as the manifest promises it, or {@link #UNKNOWN_SIZE} where
 *     nothing states it (the uncompressed layers of a {@code docker save} tarball, checked by
 *     digest alone)
 */
public record Descriptor(String mediaType, String digest, long size) {
  /** The size of a blob known only by its digest. */
  public static final long UNKNOWN_SIZE = -1;

  private static final Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");

  public Descriptor {
    Objects.requireNonNull(mediaType, "mediaType");
    requireDigest(digest);
    if (size < UNKNOWN_SIZE) {
      throw new IllegalArgumentException("negative size " + size + " for " + digest);
    }
  }

  /** Whether {@code digest} is {@code sha256:} and 64 lower-case hex digits. */
  public static boolean isDigest(String digest) {
    return digest != null && DIGEST.matcher(digest).matches();
  }

  /** Returns {@code digest} if it is one, else throws naming it. */
  public static String requireDigest(String digest) {
    if (!isDigest(digest)) {
      throw new IllegalArgumentException(
          "not a sha256 digest: '" + digest + "' (sha256: and 64 lower-case hex digits)");
    }
    return digest;
  }

  /** The 64 hex digits of the digest. */
  public String hex() {
    return digest.substring("sha256:".length());
  }
}
