package dev.thaw.node.snapshot.restore;

import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.node.snapshot.cache.LocalChunks;
import dev.thaw.node.snapshot.cache.LocalSnapshotCache;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where this node puts the files it fetches from remote storage: into a new cache entry when the
 * cache takes it, else into scratch space; and the chunks its cache already holds, which a fetch
 * copies instead of downloading.
 */
public final class FetchTargets {
  private final LocalSnapshotCache cache;
  private final Path scratch;

  /**
   * Targets in {@code cache}'s entries, or under {@code scratch} for snapshots it does not keep.
   */
  public FetchTargets(LocalSnapshotCache cache, Path scratch) {
    this.cache = cache;
    this.scratch = scratch;
  }

  LocalSnapshotCache cache() {
    return cache;
  }

  /** A new cache entry for {@code revision}; empty when the cache cannot take its size. */
  Optional<FetchTarget> entry(String revision, long bytes) throws IOException {
    return cache.begin(revision, bytes).map(FetchTarget.Entry::new);
  }

  /** A new directory in scratch space, for one restore of {@code revision}. */
  FetchTarget.Scratch scratch(String revision) throws IOException {
    return new FetchTarget.Scratch(
        Files.createTempDirectory(Files.createDirectories(scratch), revision + "."));
  }

  /** A new file in the cache's incoming space for the memory file of an early start. */
  Path incomingFile(String revision) throws IOException {
    return cache.newIncomingFile(revision);
  }

  /** The chunks of {@code manifest} the cache holds, pinned until closed. */
  LocalChunks localChunks(SnapshotManifest manifest) {
    return manifest.chunked() ? cache.localChunks(manifest.chunks().keySet()) : LocalChunks.none();
  }
}
