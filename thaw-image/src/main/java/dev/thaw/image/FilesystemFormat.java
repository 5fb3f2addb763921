package dev.thaw.image;

import java.util.List;
import java.util.Locale;

/**
 * The filesystem a root image is written in, with what the guest needs to mount it: the type name
 * for {@code mount -t} and the kernel modules to load first, in load order (Debian's kernel builds
 * all three as modules; the names are those {@code modprobe --show-depends} gives).
 */
public enum FilesystemFormat {
  /** Read-only, compact, fast to build: the default (docs/images.md has the measurement). */
  EROFS("erofs", List.of("crc32c-intel", "crc32c_generic", "libcrc32c", "erofs")),
  /** ext4 without a journal, mounted read-only. */
  EXT4("ext4", List.of("crc32c-intel", "crc32c_generic", "jbd2", "mbcache", "crc16", "ext4")),
  /** squashfs, lz4-compressed. */
  SQUASHFS("squashfs", List.of("squashfs"));

  private final String mountType;
  private final List<String> guestModules;

  FilesystemFormat(String mountType, List<String> guestModules) {
    this.mountType = mountType;
    this.guestModules = guestModules;
  }

  /** The type for {@code mount -t}. */
  public String mountType() {
    return mountType;
  }

  /** Kernel modules the guest loads, in order, before it can mount the image. */
  public List<String> guestModules() {
    return guestModules;
  }

  /** Parses {@code erofs}, {@code ext4} or {@code squashfs}. */
  public static FilesystemFormat parse(String name) {
    for (FilesystemFormat f : values()) {
      if (f.mountType.equals(name.toLowerCase(Locale.ROOT))) {
        return f;
      }
    }
    throw new IllegalArgumentException(
        "unknown filesystem format '" + name + "' (erofs, ext4 or squashfs)");
  }
}
