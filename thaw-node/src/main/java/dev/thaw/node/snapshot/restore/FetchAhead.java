package dev.thaw.node.snapshot.restore;

import dev.thaw.core.snapshot.SnapshotFile;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.node.snapshot.Restorer;
import dev.thaw.node.snapshot.cache.CachedSnapshot;
import dev.thaw.node.snapshot.cache.LocalChunks;
import dev.thaw.node.snapshot.cache.LocalSnapshotCache;
import dev.thaw.node.snapshot.fill.ChunkAssembler;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;

/**
 * Fetches a snapshot from remote storage whole into a new cache entry, with no restore: ahead of a
 * cold start that is predicted to need it. The entry is written, verified and committed as a cold
 * start's eager fetch writes it (chunks checked against their digests as they arrive, the entry
 * renamed into place only once complete), so a reader never sees it half-written; room is made only
 * of entries idle long enough ({@link LocalSnapshotCache#beginEvictingIdle}).
 */
final class FetchAhead {
  private final RemoteRestore.Parts parts;
  private final ChunkAssembler assembler;
  private final LocalSnapshotCache cache;

  FetchAhead(RemoteRestore.Parts parts, ChunkAssembler assembler) {
    this.parts = parts;
    this.assembler = assembler;
    this.cache = parts.targets().cache();
  }

  /**
   * Fetches {@code revision} into the cache, making room of entries idle for {@code evictIdle} or
   * longer; {@code settled} runs once the entry is committed or known not to be.
   */
  Prefetch fetch(String revision, Duration evictIdle, Runnable settled) throws IOException {
    if (cache.revisions().contains(revision)) {
      return new Prefetch.Skipped("cached");
    }
    long t0 = System.nanoTime();
    Optional<SnapshotManifest> found = parts.source().usable(revision);
    if (found.isEmpty()) {
      return new Prefetch.Skipped("not in remote storage");
    }
    SnapshotManifest manifest = found.get();
    try (LocalChunks local = parts.targets().localChunks(manifest)) {
      Optional<LocalSnapshotCache.Writer> writer;
      try {
        writer = cache.beginEvictingIdle(revision, manifest.totalBytes(), evictIdle);
      } catch (IllegalStateException alreadyThere) {
        // A boot's snapshot of it was committed meanwhile.
        return new Prefetch.Skipped("cached");
      }
      if (writer.isEmpty()) {
        return new Prefetch.Skipped("no room among entries idle " + evictIdle.toMillis() + " ms");
      }
      try (LocalSnapshotCache.Writer w = writer.get()) {
        long fetched = fill(manifest, w, local, t0);
        Optional<CachedSnapshot> entry = w.commitChecked(manifest);
        settled.run();
        if (entry.isEmpty()) {
          return new Prefetch.Skipped("no room at commit");
        }
        entry.get().close();
        return new Prefetch.Fetched(fetched, Restorer.since(t0));
      }
    }
  }

  /** Writes the snapshot's files into the writer's directory; returns the bytes fetched. */
  private long fill(
      SnapshotManifest manifest, LocalSnapshotCache.Writer w, LocalChunks local, long t0)
      throws IOException {
    if (!manifest.chunked()) {
      for (SnapshotFile f : manifest.files()) {
        parts.source().store().download(manifest.revision(), f, w.dir().resolve(f.name()));
      }
      parts.metrics().fetched(manifest.totalBytes(), 0, Restorer.since(t0));
      return manifest.totalBytes();
    }
    ChunkAssembler.allocate(manifest, w.dir());
    ChunkAssembler.Transfer t = assembler.assemble(manifest, w.dir(), local);
    parts.metrics().fetched(t.fetchedBytes(), t.copiedBytes(), Restorer.since(t0));
    parts.metrics().moved(t);
    return t.fetchedBytes();
  }
}
