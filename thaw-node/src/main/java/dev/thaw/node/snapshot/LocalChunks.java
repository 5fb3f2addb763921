package dev.thaw.node.snapshot;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Chunks a node already holds in its cache, by SHA-256, with the entries that hold them pinned
 * until closed. A remote fetch copies these instead of downloading them.
 */
public final class LocalChunks implements AutoCloseable {
  private final Map<String, Location> byDigest;
  private final Runnable release;
  private boolean closed;

  /**
   * Where a chunk lies.
   *
   * @param file a committed snapshot file
   * @param offset the chunk's offset in it
   * @param length its length
   */
  public record Location(Path file, long offset, int length) {}

  LocalChunks(Map<String, Location> byDigest, Runnable release) {
    this.byDigest = Map.copyOf(byDigest);
    this.release = release;
  }

  /** No local chunks: every chunk is fetched. */
  public static LocalChunks none() {
    return new LocalChunks(Map.of(), () -> {});
  }

  public Optional<Location> find(String sha256) {
    return Optional.ofNullable(byDigest.get(sha256));
  }

  public int size() {
    return byDigest.size();
  }

  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      release.run();
    }
  }
}
