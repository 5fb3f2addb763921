package dev.thaw.node.snapshot.fill;

import dev.thaw.core.lazy.FileServer;
import dev.thaw.core.lazy.ServedFile;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** A file server that records what it is given to store or read ahead. */
final class RecordingFileServer implements FileServer {
  private final boolean canStore;
  final Map<Long, byte[]> stored = new TreeMap<>();
  final List<long[]> readAhead = new ArrayList<>();

  RecordingFileServer(boolean canStore) {
    this.canStore = canStore;
  }

  @Override
  public Path publish(String name, ServedFile file) {
    throw new UnsupportedOperationException();
  }

  @Override
  public boolean store(String name, long offset, ByteBuffer data) {
    if (canStore) {
      byte[] b = new byte[data.remaining()];
      data.duplicate().get(b);
      stored.merge(offset, b, RecordingFileServer::concat);
    }
    return canStore;
  }

  @Override
  public void readAhead(String name, List<long[]> ranges) {
    readAhead.addAll(ranges);
  }

  @Override
  public void withdraw(String name) {}

  @Override
  public void close() {}

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] c = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }
}
