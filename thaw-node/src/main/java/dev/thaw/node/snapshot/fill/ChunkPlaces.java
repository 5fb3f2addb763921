package dev.thaw.node.snapshot.fill;

import dev.thaw.core.snapshot.ChunkList;
import dev.thaw.core.snapshot.Chunker;
import dev.thaw.core.snapshot.SnapshotFile;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.node.snapshot.cache.CacheWriteException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The files of a chunked snapshot being filled, open, and the places each distinct chunk goes in
 * them (a chunk can repeat, within a file and across files). The files were created at full size,
 * all holes ({@link ChunkAssembler#allocate}), so a chunk is written as its non-zero pages only and
 * zero chunks are never written at all.
 */
final class ChunkPlaces implements AutoCloseable {
  private static final int PAGE = 4096;

  /** One place a chunk goes. */
  private record Place(Path file, FileChannel out, long offset) {}

  private final Map<String, List<Place>> places = new LinkedHashMap<>();
  private final Map<String, FileChannel> channels = new HashMap<>();
  private final Map<String, Integer> lengths;
  private final long zeroBytes;

  /**
   * Opens the files of {@code manifest} in {@code dir}, for reading and writing.
   *
   * @throws IllegalArgumentException when a file is not chunked (format 1)
   */
  ChunkPlaces(SnapshotManifest manifest, Path dir) throws IOException {
    this.lengths = manifest.chunks();
    long zero = 0;
    try {
      for (SnapshotFile f : manifest.files()) {
        if (f.chunks() == null) {
          throw new IllegalArgumentException("format-1 file " + f.name() + " has no chunks");
        }
        Path file = dir.resolve(f.name());
        FileChannel out = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        channels.put(f.name(), out);
        ChunkList chunks = f.chunks();
        for (int i = 0; i < chunks.sha256().size(); i++) {
          String d = chunks.sha256().get(i);
          if (d == null) {
            zero += chunks.length(i, f.size());
          } else {
            places
                .computeIfAbsent(d, k -> new ArrayList<>())
                .add(new Place(file, out, chunks.offset(i)));
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
    this.zeroBytes = zero;
  }

  /** The distinct non-zero chunks, in the order the files list them first. */
  Set<String> chunks() {
    return places.keySet();
  }

  /** Bytes of zero chunks: holes, never written. */
  long zeroBytes() {
    return zeroBytes;
  }

  /** The open file {@code name} of the manifest. */
  FileChannel channel(String name) {
    return channels.get(name);
  }

  /**
   * Writes chunk {@code sha256} (the first of its length's bytes of {@code data}) at each of its
   * places, non-zero pages only: a hole reads as zeros, and guest memory chunks are often mostly
   * zero pages.
   *
   * @throws CacheWriteException when a file cannot be written (a full disk)
   */
  void write(String sha256, byte[] data) throws IOException {
    int length = lengths.get(sha256);
    List<Place> to = places.get(sha256);
    for (int from = 0; from < length; ) {
      while (from < length && Chunker.isZero(data, from, Math.min(from + PAGE, length))) {
        from += PAGE;
      }
      int end = from;
      while (end < length && !Chunker.isZero(data, end, Math.min(end + PAGE, length))) {
        end += PAGE;
      }
      end = Math.min(end, length);
      for (Place p : to) {
        ByteBuffer b = ByteBuffer.wrap(data, from, end - from);
        try {
          while (b.hasRemaining()) {
            p.out().write(b, p.offset() + b.position());
          }
        } catch (IOException e) {
          throw new CacheWriteException("write", p.file(), e);
        }
      }
      from = end;
    }
  }

  @Override
  public void close() {
    for (FileChannel c : channels.values()) {
      try {
        c.close();
      } catch (IOException e) {
        // nothing more is read or written through it
      }
    }
  }
}
