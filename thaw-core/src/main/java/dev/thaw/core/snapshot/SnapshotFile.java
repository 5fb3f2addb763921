package dev.thaw.core.snapshot;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One file of a snapshot as the manifest lists it.
 *
 * <p>Format 2 describes the content by its {@link ChunkList}; format 1 by one SHA-256 of the whole
 * file. Exactly one of {@code sha256} and {@code chunks} is set.
 *
 * @param name a plain file name inside the snapshot directory: letters, digits, {@code . _ -},
 *     never {@code .} or {@code ..}
 * @param role what the file holds
 * @param size its length in bytes
 * @param sha256 format 1: lower-case hex SHA-256 of the whole content; null in format 2
 * @param chunks format 2: the content as chunks; null in format 1
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SnapshotFile(String name, Role role, long size, String sha256, ChunkList chunks) {
  private static final Pattern PLAIN_NAME = Pattern.compile("[A-Za-z0-9._-]{1,128}");
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

  /** What a snapshot file holds. */
  public enum Role {
    /** Guest RAM, byte for byte. */
    MEMORY,
    /** CPU and device state. */
    STATE,
    /** The function's disk changes. */
    DISK
  }

  public SnapshotFile {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(role, "role");
    if (!PLAIN_NAME.matcher(name).matches() || name.equals(".") || name.equals("..")) {
      throw new UnsafeFileNameException(name);
    }
    if (size < 0) {
      throw new MalformedManifestException("negative size for " + name + ": " + size, null);
    }
    if ((sha256 == null) == (chunks == null)) {
      throw new MalformedManifestException(
          name + " must list exactly one of sha256 (format 1) and chunks (format 2)", null);
    }
    if (sha256 != null && !SHA256.matcher(sha256).matches()) {
      throw new MalformedManifestException("sha256 of " + name + " is not 64 hex digits", null);
    }
    if (chunks != null && chunks.sha256().size() != ChunkList.count(size, chunks.size())) {
      throw new MalformedManifestException(
          name
              + " lists "
              + chunks.sha256().size()
              + " chunks; "
              + size
              + " bytes in chunks of "
              + chunks.size()
              + " make "
              + ChunkList.count(size, chunks.size()),
          null);
    }
    if (chunks != null && chunks.pages() != null && !chunks.pages().fitsIn(size)) {
      throw new MalformedManifestException(
          "working pages of " + name + " lie beyond its " + size + " bytes", null);
    }
  }

  /** A format-1 file: described by the SHA-256 of its whole content. */
  public static SnapshotFile whole(String name, Role role, long size, String sha256) {
    return new SnapshotFile(name, role, size, Objects.requireNonNull(sha256), null);
  }

  /** A format-2 file: described by its chunks. */
  public static SnapshotFile chunked(String name, Role role, long size, ChunkList chunks) {
    return new SnapshotFile(name, role, size, null, Objects.requireNonNull(chunks));
  }
}
