package dev.thaw.core.snapshot;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One file of a snapshot as the manifest lists it.
 *
 * @param name a plain file name inside the snapshot directory: letters, digits, {@code . _ -},
 *     never {@code .} or {@code ..}
 * @param role what the file holds
 * @param size its length in bytes
 * @param sha256 lower-case hex SHA-256 of its content
 */
public record SnapshotFile(String name, Role role, long size, String sha256) {
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
    Objects.requireNonNull(sha256, "sha256");
    if (!PLAIN_NAME.matcher(name).matches() || name.equals(".") || name.equals("..")) {
      throw new UnsafeFileNameException(name);
    }
    if (size < 0) {
      throw new MalformedManifestException("negative size for " + name + ": " + size, null);
    }
    if (!SHA256.matcher(sha256).matches()) {
      throw new MalformedManifestException("sha256 of " + name + " is not 64 hex digits", null);
    }
  }
}
