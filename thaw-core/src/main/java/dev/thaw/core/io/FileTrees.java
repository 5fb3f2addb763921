package dev.thaw.core.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Small file operations the JDK lacks. */
public final class FileTrees {
  private FileTrees() {}

  /** Deletes {@code root} and everything below it; a missing root is not an error. */
  public static void deleteRecursively(Path root) throws IOException {
    if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  /** Like {@link #deleteRecursively} for clean-up paths where a failure must not mask another. */
  public static void deleteQuietly(Path root) {
    try {
      deleteRecursively(root);
    } catch (IOException e) {
      // A leftover directory is named as temporary and removed on the next start.
    }
  }

  /**
   * Reads {@code length} bytes at {@code position} of {@code in} into {@code into}, which may be
   * shared by concurrent readers of the channel (a positional read does not move it).
   *
   * @throws java.io.EOFException when the file ends first
   */
  public static void readFully(
      java.nio.channels.FileChannel in, byte[] into, int length, long position) throws IOException {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(into, 0, length);
    while (b.hasRemaining()) {
      if (in.read(b, position + b.position()) < 0) {
        throw new java.io.EOFException(
            "file ends at " + (position + b.position()) + ", before " + (position + length));
      }
    }
  }
}
