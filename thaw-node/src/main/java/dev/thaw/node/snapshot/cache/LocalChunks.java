package dev.thaw.node.snapshot.cache;

import dev.thaw.core.cache.CacheIndex;
import dev.thaw.core.snapshot.SnapshotFile;
import dev.thaw.core.snapshot.SnapshotManifest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

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

  /** Chunks at {@code byDigest}, whose entries {@code release} unpins when this is closed. */
  public LocalChunks(Map<String, Location> byDigest, Runnable release) {
    this.byDigest = Map.copyOf(byDigest);
    this.release = release;
  }

  /**
   * Finds cached copies of {@code wanted} chunks in the committed entries {@code manifests} (under
   * {@code entries}) that {@code usable} admits, pinning each entry that supplies one until the
   * result is closed, so copying from it cannot race its eviction. Pins do not count as uses.
   */
  static LocalChunks find(
      Set<String> wanted,
      Map<String, SnapshotManifest> manifests,
      Path entries,
      CacheIndex index,
      Predicate<String> usable) {
    Map<String, Location> found = new HashMap<>();
    List<CacheIndex.Lease> leases = new ArrayList<>();
    for (Map.Entry<String, SnapshotManifest> entry : manifests.entrySet()) {
      if (found.size() == wanted.size()) {
        break;
      }
      if (!usable.test(entry.getKey())) {
        continue;
      }
      Map<String, Location> here = new HashMap<>();
      for (SnapshotFile f : entry.getValue().files()) {
        if (f.chunks() == null) {
          continue;
        }
        Path file = entries.resolve(entry.getKey()).resolve(f.name());
        List<String> digests = f.chunks().sha256();
        for (int i = 0; i < digests.size(); i++) {
          String d = digests.get(i);
          if (d != null && wanted.contains(d) && !found.containsKey(d)) {
            here.putIfAbsent(
                d, new Location(file, f.chunks().offset(i), f.chunks().length(i, f.size())));
          }
        }
      }
      if (!here.isEmpty()) {
        // An entry being removed just supplies nothing.
        index
            .pin(entry.getKey())
            .ifPresent(
                lease -> {
                  leases.add(lease);
                  found.putAll(here);
                });
      }
    }
    return new LocalChunks(found, () -> leases.forEach(index::release));
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
