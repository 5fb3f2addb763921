package dev.thaw.node.snapshot.cache;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import org.awaitility.Awaitility;

/** Changes to a cached snapshot's files behind the cache's back, as a tester or a bad disk does. */
public final class Tampering {
  private Tampering() {}

  /**
   * Overwrites the first {@code from} in {@code file} with {@code to} (same length) in place, then
   * sets the file's modification time back: its size, inode and modification time are as before;
   * only its content and its ctime differ. Waits first until the file system's clock has passed the
   * file's ctime (it ticks every few milliseconds), so that the write shows there.
   */
  public static void rewriteInPlace(Path file, String from, String to) throws IOException {
    byte[] old = from.getBytes(StandardCharsets.UTF_8);
    byte[] replacement = to.getBytes(StandardCharsets.UTF_8);
    if (old.length != replacement.length) {
      throw new IllegalArgumentException("a rewrite in place keeps the length");
    }
    long at = indexOf(file, old);
    FileTime mtime = Files.getLastModifiedTime(file);
    awaitTimestampTick(file);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(replacement), at);
    }
    Files.setLastModifiedTime(file, mtime);
  }

  /** Flips one bit of {@code file} at {@code offset}, keeping its size and modification time. */
  static void flipBit(Path file, long offset) throws IOException {
    FileTime mtime = Files.getLastModifiedTime(file);
    try (FileChannel ch =
        FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.allocate(1);
      ch.read(b, offset);
      b.put(0, (byte) (b.get(0) ^ 1));
      b.rewind();
      ch.write(b, offset);
    }
    Files.setLastModifiedTime(file, mtime);
  }

  private static long indexOf(Path file, byte[] what) throws IOException {
    byte[] content = Files.readAllBytes(file);
    outer:
    for (int i = 0; i + what.length <= content.length; i++) {
      for (int j = 0; j < what.length; j++) {
        if (content[i + j] != what[j]) {
          continue outer;
        }
      }
      return i;
    }
    throw new IllegalArgumentException(file + " does not hold the string");
  }

  /** Waits until the file system's clock has passed {@code file}'s ctime. */
  static void awaitTimestampTick(Path file) throws IOException {
    FileTime ctime = (FileTime) Files.getAttribute(file, "unix:ctime");
    Path probe = Files.createTempFile(file.getParent(), "tick", ".probe");
    try {
      Awaitility.await()
          .atMost(Duration.ofSeconds(5))
          .pollInterval(Duration.ofMillis(1))
          .until(
              () -> {
                Files.write(probe, new byte[] {1});
                return ((FileTime) Files.getAttribute(probe, "unix:ctime")).compareTo(ctime) > 0;
              });
    } finally {
      Files.deleteIfExists(probe);
    }
  }
}
