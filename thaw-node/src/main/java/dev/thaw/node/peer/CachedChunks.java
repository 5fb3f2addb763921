package dev.thaw.node.peer;

import dev.thaw.core.io.Digests;
import dev.thaw.core.io.FileTrees;
import dev.thaw.node.snapshot.cache.LocalChunks;
import dev.thaw.node.snapshot.cache.LocalSnapshotCache;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The chunks of this node's committed cache entries, found through the cache's own index of them
 * ({@link LocalSnapshotCache#localChunks}, as local copies between entries are): the entry that
 * holds a chunk is pinned while it is read, so its eviction waits and the file read is the
 * committed one, not a later entry's or a deleted one's. Entries found at start are lent only once
 * their check has passed.
 *
 * <p>Every chunk's SHA-256 is computed before it is served. A copy that does not match its name (a
 * file damaged since it was verified) is not served: it is logged, counted ({@code
 * thaw.snapshot.cache.corrupt{found=peer}}), its entry dropped as a failed scrub would drop it, and
 * the peer is told the chunk is not here, so it reads storage.
 */
public final class CachedChunks implements HeldChunks {
  private static final Logger log = LoggerFactory.getLogger(CachedChunks.class);

  private final LocalSnapshotCache cache;
  private final Counter damaged;
  private final CachedStarts starts;

  public CachedChunks(LocalSnapshotCache cache, MeterRegistry meters) {
    this.cache = cache;
    this.damaged = meters.counter("thaw.snapshot.cache.corrupt", "found", "peer");
    this.starts = new CachedStarts(cache, damaged);
  }

  @Override
  public Optional<StartBundle> start(String revision) throws IOException {
    return starts.read(revision);
  }

  @Override
  public Optional<byte[]> startBody(String revision) throws IOException {
    return starts.body(revision);
  }

  @Override
  public Optional<byte[]> read(String sha256) {
    try (LocalChunks held = cache.localChunks(Set.of(sha256))) {
      Optional<LocalChunks.Location> at = held.find(sha256);
      if (at.isEmpty()) {
        return Optional.empty();
      }
      LocalChunks.Location where = at.get();
      String revision = where.file().getParent().getFileName().toString();
      byte[] data = new byte[where.length()];
      String found;
      try (FileChannel file = FileChannel.open(where.file(), StandardOpenOption.READ)) {
        FileTrees.readFully(file, data, data.length, where.offset());
        found = Digests.sha256(data, 0, data.length);
      } catch (IOException e) {
        found = "unreadable (" + e.getMessage() + ")";
      }
      if (found.equals(sha256)) {
        return Optional.of(data);
      }
      String why =
          "chunk "
              + sha256
              + " at "
              + where.offset()
              + " of "
              + where.file().getFileName()
              + " reads as "
              + found;
      damaged.increment();
      log.warn("not serving a peer cache entry {}: {}; dropping it", revision, why);
      cache.drop(revision, why);
      return Optional.empty();
    }
  }

  @Override
  public List<String> revisions() {
    return cache.revisions().stream().sorted().toList();
  }
}
