package dev.thaw.node.snapshot.fill;

import dev.thaw.core.io.FileTrees;
import dev.thaw.node.snapshot.cache.LocalChunks;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The chunks that committed local cache entries hold ({@link LocalChunks}), copied from their files
 * instead of downloaded. The entries are verified when committed, so a copy is not checked again.
 * Each entry file is opened once and kept open until {@link #close()}.
 */
final class LocalChunkSource implements ChunkSource {
  /** Each thread's buffer for copies; grown to the largest chunk it has copied. */
  private static final ThreadLocal<byte[]> BUFFER = ThreadLocal.withInitial(() -> new byte[0]);

  private final LocalChunks local;
  private final TransferTally tally;
  private final Map<Path, FileChannel> files = new ConcurrentHashMap<>();

  LocalChunkSource(LocalChunks local, TransferTally tally) {
    this.local = local;
    this.tally = tally;
  }

  /** Whether a local entry holds {@code sha256}. */
  boolean has(String sha256) {
    return local.find(sha256).isPresent();
  }

  @Override
  public List<String> supply(List<String> wanted, Sink sink) throws IOException {
    List<String> missing = new ArrayList<>();
    for (String d : wanted) {
      Optional<LocalChunks.Location> at = local.find(d);
      if (at.isEmpty()) {
        missing.add(d);
        continue;
      }
      byte[] data = read(at.get());
      tally.copied(at.get().length());
      sink.put(d, data);
    }
    return missing;
  }

  /** Reads a chunk into this thread's buffer (valid until its next read). */
  private byte[] read(LocalChunks.Location at) throws IOException {
    byte[] data = BUFFER.get();
    if (data.length < at.length()) {
      data = new byte[at.length()];
      BUFFER.set(data);
    }
    FileTrees.readFully(open(at.file()), data, at.length(), at.offset());
    return data;
  }

  private FileChannel open(Path file) throws IOException {
    try {
      return files.computeIfAbsent(
          file,
          p -> {
            try {
              return FileChannel.open(p, StandardOpenOption.READ);
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
          });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  /** Closes the entry files; the entries' pins are {@link LocalChunks}' to release. */
  @Override
  public void close() {
    for (FileChannel c : files.values()) {
      try {
        c.close();
      } catch (IOException e) {
        // nothing more is read through it
      }
    }
  }
}
