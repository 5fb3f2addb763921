package dev.thaw.node.snapshot.restore;

import dev.thaw.core.io.FileTrees;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotManifestCodec;
import dev.thaw.node.snapshot.cache.CachedSnapshot;
import dev.thaw.node.snapshot.cache.LocalSnapshotCache;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where the files of a remote restore land, and who owns them: a new cache entry, committed once
 * complete, or scratch space that serves one restore ("remote, no cache"). Closing a target drops
 * what it holds unless it became a cache entry.
 */
sealed interface FetchTarget extends AutoCloseable permits FetchTarget.Entry, FetchTarget.Scratch {

  /** Where to write the snapshot's files. */
  Path dir();

  /**
   * The complete files as a snapshot to restore from: the committed entry, pinned, or the scratch
   * files; empty when the entry no longer fits the cache (its files are gone then).
   *
   * @throws dev.thaw.core.snapshot.SnapshotMismatchException when a file's size does not match
   */
  Optional<CachedSnapshot> complete(SnapshotManifest manifest) throws IOException;

  @Override
  void close();

  /** A cache entry being written: the files join the cache only if they all match. */
  record Entry(LocalSnapshotCache.Writer writer) implements FetchTarget {
    @Override
    public Path dir() {
      return writer.dir();
    }

    /** Commits the entry; the caller checked the files' SHA-256 as it fetched them. */
    @Override
    public Optional<CachedSnapshot> complete(SnapshotManifest manifest) throws IOException {
      return writer.commitChecked(manifest);
    }

    /** Drops the entry unless committed. */
    @Override
    public void close() {
      writer.close();
    }
  }

  /**
   * A directory in scratch space for one restore. Its files may go as soon as the VMM has mapped
   * them (a mapped file outlives its deletion), unless they back a served file.
   */
  record Scratch(Path dir) implements FetchTarget {
    @Override
    public Optional<CachedSnapshot> complete(SnapshotManifest manifest) throws IOException {
      SnapshotManifestCodec.verifySizes(manifest, dir);
      return Optional.of(new CachedSnapshot(manifest, dir, () -> {}));
    }

    /** Deletes the directory. */
    @Override
    public void close() {
      FileTrees.deleteQuietly(dir);
    }
  }
}
