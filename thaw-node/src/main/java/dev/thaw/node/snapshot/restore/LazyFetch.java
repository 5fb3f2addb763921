package dev.thaw.node.snapshot.restore;

import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.node.snapshot.Restorer;
import dev.thaw.node.snapshot.SnapshotMetrics;
import dev.thaw.node.snapshot.cache.CachedSnapshot;
import dev.thaw.node.snapshot.cache.LocalChunks;
import dev.thaw.node.snapshot.fill.ChunkAssembler;
import dev.thaw.node.snapshot.fill.LazyFill;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one lazy restore holds while its chunks arrive: the fill, the cached chunks it copies from
 * (pinned) and where its files land. Whoever holds it ends it: the restore closes it when it fails;
 * once the guest runs, {@link #finishInBackground} ends it when the fill ends (committing an
 * entry's files), except scratch files, which back the served memory file until the VM has stopped
 * too ({@link #whenVmStopped}).
 */
final class LazyFetch implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LazyFetch.class);

  private final SnapshotManifest manifest;
  private final LazyFill fill;
  private final LocalChunks local;
  private final FetchTarget target;

  private LazyFetch(
      SnapshotManifest manifest, LazyFill fill, LocalChunks local, FetchTarget target) {
    this.manifest = manifest;
    this.fill = fill;
    this.local = local;
    this.target = target;
  }

  /**
   * Starts filling {@code target} from {@code local} and remote storage, with the pack index and
   * working pages {@code early} read; closes {@code local} and {@code target} if it cannot.
   */
  static LazyFetch open(
      SnapshotManifest manifest,
      LocalChunks local,
      FetchTarget target,
      EarlyStart early,
      RemoteRestore.Parts parts,
      int parallelism)
      throws IOException {
    try {
      ChunkAssembler.allocate(manifest, target.dir());
      LazyFill fill =
          new LazyFill(
              manifest,
              target.dir(),
              local,
              parts.source().store(),
              early.packIndexForFill(),
              early.fillStart(),
              parallelism,
              parts.metrics()::lazyReadWaited,
              parts.peers());
      return new LazyFetch(manifest, fill, local, target);
    } catch (IOException | RuntimeException e) {
      target.close();
      local.close();
      throw e;
    }
  }

  SnapshotManifest manifest() {
    return manifest;
  }

  LazyFill fill() {
    return fill;
  }

  /** The files, complete or not, as the restore reads them (unpinned: they are this fetch's). */
  CachedSnapshot snapshot() {
    return new CachedSnapshot(manifest, target.dir(), () -> {});
  }

  /** What the VM restored from these files runs when it stops. */
  Runnable whenVmStopped() {
    if (target instanceof FetchTarget.Scratch scratch) {
      return () -> {
        fill.release();
        fill.done().whenComplete((t, e) -> scratch.close());
      };
    }
    return fill::release;
  }

  /**
   * Once every chunk is written, commits an entry's files (drops them if a chunk cannot be had) and
   * counts what moved; then releases the chunk sources and runs {@code settled}.
   *
   * @return completes when all that is done
   */
  CompletableFuture<?> finishInBackground(
      SnapshotMetrics metrics, Runnable settled, Executor executor) {
    long t0 = System.nanoTime();
    return fill.done()
        .handleAsync(
            (transfer, failed) -> {
              try {
                if (failed != null) {
                  log.warn(
                      "lazy restore of {} left incomplete: {}",
                      manifest.revision(),
                      failed.getMessage());
                  return null;
                }
                metrics.fetched(
                    transfer.fetchedBytes(), transfer.copiedBytes(), Restorer.since(t0));
                metrics.moved(transfer);
                if (target instanceof FetchTarget.Entry entry) {
                  entry.complete(manifest).ifPresent(CachedSnapshot::close);
                }
              } catch (IOException | RuntimeException e) {
                log.warn("cannot cache {}: {}", manifest.revision(), e.getMessage());
              } finally {
                local.close();
                if (target instanceof FetchTarget.Entry entry) {
                  entry.close();
                }
                settled.run();
              }
              return null;
            },
            executor);
  }

  /** Abandons the fetch: the fill stops, the files and the pins go. */
  @Override
  public void close() {
    fill.close();
    target.close();
    local.close();
  }
}
