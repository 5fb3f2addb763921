package dev.thaw.node.snapshot.restore;

import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.lazy.FileServer;
import dev.thaw.node.snapshot.ColdStart;
import dev.thaw.node.snapshot.Restorer;
import dev.thaw.node.snapshot.SnapshotMetrics;
import dev.thaw.node.snapshot.fill.ChunkAssembler;
import dev.thaw.node.snapshot.fill.ManifestDigest;
import dev.thaw.node.snapshot.fill.PeerReads;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * A cold start's restore from remote storage, choosing how: lazy (the guest resumes on its working
 * set while the rest follows, {@link LazyRestore}) when memory files can be served, else eager
 * (every file first, {@link EagerRestore}); into the cache, where concurrent cold starts of one
 * revision share one download ({@link SharedDownloads}), or, without caching ("remote, no cache"),
 * into scratch space that serves one restore.
 */
public final class RemoteRestore {

  /**
   * How this node restores from remote storage.
   *
   * @param cacheRemote whether fetched snapshots join the cache (else they serve one restore)
   * @param scratch where uncached fetches land for the duration of one restore
   * @param fetchParallelism chunks fetched at once by a lazy restore
   * @param files the server of lazily restored memory files; empty: restores are eager
   */
  public record Settings(
      boolean cacheRemote, Path scratch, int fetchParallelism, Optional<FileServer> files) {
    public Settings {
      Objects.requireNonNull(scratch, "scratch");
      Objects.requireNonNull(files, "files");
    }
  }

  /**
   * What every remote restore works with: where snapshots come from, where their files land, what
   * restores a clone from them, and what counts it all.
   */
  public record Parts(
      RemoteSnapshots source,
      FetchTargets targets,
      Restorer restorer,
      SnapshotMetrics metrics,
      PeerReads peers) {}

  private final boolean cacheRemote;
  private final Restorer restorer;
  private final EagerRestore eager;
  private final Optional<LazyRestore> lazy;
  private final FetchAhead ahead;
  private final SharedDownloads downloads = new SharedDownloads();

  /** Remote restores as {@code settings} say, of chunks that {@code assembler} fetches. */
  public RemoteRestore(Settings settings, Parts parts, ChunkAssembler assembler) {
    this.cacheRemote = settings.cacheRemote();
    this.restorer = parts.restorer();
    this.eager = new EagerRestore(parts, assembler);
    this.ahead = new FetchAhead(parts, assembler);
    this.lazy =
        settings
            .files()
            .map(server -> new LazyRestore(parts, eager, server, settings.fetchParallelism()));
  }

  /**
   * Restores {@code revision} from remote storage.
   *
   * @param digest the digest of its manifest from a trusted party, if one gave it: a lazy restore
   *     checks a peer's start against it instead of storage's record
   * @return empty when remote storage has no usable snapshot of it
   * @throws IOException when storage is unreachable or a file cannot be read
   */
  public Optional<ColdStart> restore(
      FunctionSpec function, String revision, Optional<ManifestDigest> digest) throws IOException {
    if (!cacheRemote) {
      return lazy.isPresent()
          ? lazy.get().uncached(function, revision, digest)
          : eager.uncached(function, revision);
    }
    return downloads.share(
        revision,
        settled ->
            lazy.isPresent()
                ? lazy.get().cached(function, revision, settled, digest)
                : eager.cached(function, revision, settled),
        () -> {
          // Another cold start downloaded this revision: restore its cache entry.
          Optional<ColdStart> shared = restorer.cached(revision, true);
          return shared.isPresent() ? shared : eager.uncached(revision);
        });
  }

  /**
   * Fetches {@code revision} whole into the cache ahead of a cold start predicted to need it
   * ({@link FetchAhead}), making room only of entries idle {@code evictIdle} or longer. Cold starts
   * of it that arrive meanwhile wait for this fetch and restore its entry; none is made while one
   * of them is fetching it, or when this node does not cache remote snapshots.
   *
   * @throws IOException when storage is unreachable or a chunk is missing or corrupt (nothing is
   *     left in the cache then)
   */
  public Prefetch prefetch(String revision, Duration evictIdle) throws IOException {
    if (!cacheRemote) {
      return new Prefetch.Skipped("remote snapshots are not cached");
    }
    return downloads
        .tryLead(revision, settled -> ahead.fetch(revision, evictIdle, settled))
        .orElseGet(() -> new Prefetch.Skipped("being fetched"));
  }

  /** Waits until every lazy restore's background fetch has finished (for benchmarks and tests). */
  public void awaitFills() {
    lazy.ifPresent(LazyRestore::awaitFills);
  }
}
