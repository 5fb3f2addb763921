package dev.thaw.core.snapshot;

import dev.thaw.core.io.Digests;
import dev.thaw.core.io.FileTrees;
import dev.thaw.core.io.ReadPacer;
import java.io.EOFException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
    try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = in.size();
      byte[] chunk = new byte[(int) Math.min(chunkSize, Math.max(size, 1))];
      for (long at = 0; at < size; at += chunkSize) {
        int n = (int) Math.min(chunkSize, size - at);
        FileTrees.readFully(in, chunk, n, at);
        digests.add(isZero(chunk, 0, n) ? null : Digests.sha256(chunk, 0, n));
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
    verify(dir, f, ReadPacer.UNPACED);
  }

  /** Like {@link #verify(Path, SnapshotFile)}, telling {@code pacer} of every chunk read. */
  public static void verify(Path dir, SnapshotFile f, ReadPacer pacer) throws IOException {
    ChunkList chunks = f.chunks();
    try (FileChannel in = FileChannel.open(dir.resolve(f.name()), StandardOpenOption.READ)) {
      byte[] chunk = new byte[(int) Math.min(chunks.size(), Math.max(f.size(), 1))];
      for (int i = 0; i < chunks.sha256().size(); i++) {
        int n = chunks.length(i, f.size());
        try {
          FileTrees.readFully(in, chunk, n, chunks.offset(i));
        } catch (EOFException e) {
          throw new SnapshotMismatchException(f.name() + ": " + e.getMessage(), e);
        }
        pacer.read(n);
        String expected = chunks.sha256().get(i);
        if (expected == null) {
          if (!isZero(chunk, 0, n)) {
            throw new SnapshotMismatchException(
                f.name() + " chunk " + i + " should be zeros and is not", null);
          }
        } else {
          String actual = Digests.sha256(chunk, 0, n);
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

  /**
   * Whether bytes {@code from} (inclusive) to {@code to} of {@code b} are all zero (vectorised).
   */
  public static boolean isZero(byte[] b, int from, int to) {
    for (int at = from; at < to; at += ZEROS.length) {
      int n = Math.min(ZEROS.length, to - at);
      if (Arrays.mismatch(b, at, at + n, ZEROS, 0, n) >= 0) {
        return false;
      }
    }
    return true;
  }
}
