package dev.thaw.node.snapshot.make;

import dev.thaw.core.lazy.ServedFile;
import dev.thaw.core.snapshot.WorkingPages;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * Serves a complete memory file and records which chunks and pages are read, chunks in the order
 * they are first read, until {@link #stop()}: the working set of a snapshot's first clone, as the
 * reads its VMM's page faults make (one page each with the mount's readahead off).
 */
final class TouchRecorder implements ServedFile, AutoCloseable {
  private final FileChannel channel;
  private final long size;
  private final int chunkSize;
  private final BitSet seen = new BitSet();
  private final List<Integer> order = new ArrayList<>();
  private final BitSet pages = new BitSet();
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
        pages.set(
            (int) (offset / WorkingPages.PAGE),
            (int) ((end + WorkingPages.PAGE - 1) / WorkingPages.PAGE));
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

  /** What was read: chunk indexes in first-read order, and every page read. */
  record Touched(List<Integer> chunks, BitSet pages) {
    static final Touched NONE = new Touched(List.of(), new BitSet());

    /** Both: this one's chunks in order, then the other's not among them; every page of both. */
    Touched union(Touched other) {
      java.util.LinkedHashSet<Integer> all = new java.util.LinkedHashSet<>(chunks);
      all.addAll(other.chunks);
      BitSet both = (BitSet) pages.clone();
      both.or(other.pages);
      return new Touched(List.copyOf(all), both);
    }
  }

  /** Stops recording; returns what was read so far. */
  synchronized Touched stop() {
    recording = false;
    return new Touched(List.copyOf(order), (BitSet) pages.clone());
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
