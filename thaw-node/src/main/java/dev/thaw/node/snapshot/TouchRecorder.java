package dev.thaw.node.snapshot;

import dev.thaw.core.lazy.ServedFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * Serves a complete memory file and records which chunks are read, in the order they are first
 * read, until {@link #stop()}: the working set of a snapshot's first clone, as the reads its VMM's
 * page faults make (at most one FUSE read of 128 KiB each, so a touch costs at most three chunks).
 */
final class TouchRecorder implements ServedFile, AutoCloseable {
  private final FileChannel channel;
  private final long size;
  private final int chunkSize;
  private final BitSet seen = new BitSet();
  private final List<Integer> order = new ArrayList<>();
  private boolean recording = true;

  TouchRecorder(Path file, int chunkSize) throws IOException {
    this.channel = FileChannel.open(file, StandardOpenOption.READ);
    this.size = channel.size();
    this.chunkSize = chunkSize;
  }

  @Override
  public long size() {
    return size;
  }

  @Override
  public int read(long offset, ByteBuffer into) throws IOException {
    long end = Math.min(size, offset + into.remaining());
    synchronized (this) {
      if (recording) {
        for (long c = offset / chunkSize; c * chunkSize < end; c++) {
          if (!seen.get((int) c)) {
            seen.set((int) c);
            order.add((int) c);
          }
        }
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

  /** Stops recording; returns the chunks read so far, in first-read order. */
  synchronized List<Integer> stop() {
    recording = false;
    return List.copyOf(order);
  }

  @Override
  public void close() {
    try {
      channel.close();
    } catch (IOException e) {
      // nothing left to read from it
    }
  }
}
