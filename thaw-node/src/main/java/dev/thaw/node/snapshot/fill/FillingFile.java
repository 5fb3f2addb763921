package dev.thaw.node.snapshot.fill;

import dev.thaw.core.lazy.ServedFile;
import dev.thaw.core.snapshot.ChunkList;
import dev.thaw.core.snapshot.SnapshotFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * One file of a snapshot as a lazy fill writes it, served to the VMM (through a {@link
 * dev.thaw.core.lazy.FileServer}): a read first waits for each chunk it touches that is not yet
 * written, unless the bytes it wants lie in pages written ahead of the chunks (the working pages).
 * Zero chunks are holes of the sparse file and never wait.
 */
final class FillingFile implements ServedFile {

  /** Ranges of the file written ahead of their chunks. */
  @FunctionalInterface
  interface WrittenAhead {
    WrittenAhead NONE = (from, to) -> false;

    /** Whether all of {@code [from, to)} is written already. */
    boolean covers(long from, long to);
  }

  private final SnapshotFile file;
  private final FileChannel channel;
  private final WrittenAhead ahead;
  private final FetchWorkers chunks;

  FillingFile(SnapshotFile file, FileChannel channel, WrittenAhead ahead, FetchWorkers chunks) {
    this.file = file;
    this.channel = channel;
    this.ahead = ahead;
    this.chunks = chunks;
  }

  @Override
  public long size() {
    return file.size();
  }

  @Override
  public int read(long offset, ByteBuffer into) throws IOException {
    long end = Math.min(file.size(), offset + into.remaining());
    ChunkList list = file.chunks();
    for (long at = offset - offset % list.size(); at < end; at += list.size()) {
      String d = list.sha256().get((int) (at / list.size()));
      if (d != null && !ahead.covers(Math.max(at, offset), Math.min(end, at + list.size()))) {
        chunks.await(d);
      }
    }
    int n = 0;
    while (offset + n < end) {
      int got = channel.read(into, offset + n);
      if (got < 0) {
        break;
      }
      n += got;
    }
    return n;
  }
}
