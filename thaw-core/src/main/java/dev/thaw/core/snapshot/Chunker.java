package dev.thaw.core.snapshot;

import dev.thaw.core.io.Digests;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Cuts files into {@link ChunkList}s and checks files against them. */
public final class Chunker {
  private static final byte[] ZEROS = new byte[64 << 10];

  private Chunker() {}

  /** Describes {@code file} as chunks of {@code chunkSize}: one pass, zero chunks not hashed. */
  public static ChunkList describe(Path file, int chunkSize) throws IOException {
    List<String> digests = new ArrayList<>();
    MessageDigest sha = Digests.newSha256();
    try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = in.size();
      byte[] chunk = new byte[(int) Math.min(chunkSize, Math.max(size, 1))];
      for (long at = 0; at < size; at += chunkSize) {
        int n = (int) Math.min(chunkSize, size - at);
        readFully(in, chunk, n, at);
        if (isZero(chunk, n)) {
          digests.add(null);
        } else {
          sha.update(chunk, 0, n);
          digests.add(Digests.hex(sha));
        }
      }
    }
    return new ChunkList(chunkSize, digests);
  }

  /**
   * Checks {@code dir/f.name()} against its chunk list: every zero chunk is zeros and every other
   * chunk has its listed SHA-256.
   *
   * @throws SnapshotMismatchException naming the first chunk that differs
   */
  public static void verify(Path dir, SnapshotFile f) throws IOException {
    ChunkList chunks = f.chunks();
    MessageDigest sha = Digests.newSha256();
    try (FileChannel in = FileChannel.open(dir.resolve(f.name()), StandardOpenOption.READ)) {
      byte[] chunk = new byte[(int) Math.min(chunks.size(), Math.max(f.size(), 1))];
      for (int i = 0; i < chunks.sha256().size(); i++) {
        int n = chunks.length(i, f.size());
        readFully(in, chunk, n, chunks.offset(i));
        String expected = chunks.sha256().get(i);
        if (expected == null) {
          if (!isZero(chunk, n)) {
            throw new SnapshotMismatchException(
                f.name() + " chunk " + i + " should be zeros and is not", null);
          }
        } else {
          sha.update(chunk, 0, n);
          String actual = Digests.hex(sha);
          if (!actual.equals(expected)) {
            throw new SnapshotMismatchException(
                f.name()
                    + " chunk "
                    + i
                    + " has sha256 "
                    + actual
                    + "; the manifest says "
                    + expected,
                null);
          }
        }
      }
    }
  }

  /** Whether the first {@code length} bytes of {@code b} are all zero (vectorised compare). */
  public static boolean isZero(byte[] b, int length) {
    for (int at = 0; at < length; at += ZEROS.length) {
      int n = Math.min(ZEROS.length, length - at);
      if (Arrays.mismatch(b, at, at + n, ZEROS, 0, n) >= 0) {
        return false;
      }
    }
    return true;
  }

  private static void readFully(FileChannel in, byte[] into, int length, long position)
      throws IOException {
    ByteBuffer b = ByteBuffer.wrap(into, 0, length);
    while (b.hasRemaining()) {
      if (in.read(b, position + b.position()) < 0) {
        throw new SnapshotMismatchException(
            "file ends at " + (position + b.position()) + ", before its listed size", null);
      }
    }
  }
}
