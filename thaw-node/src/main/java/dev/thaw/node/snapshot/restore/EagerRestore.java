package dev.thaw.node.snapshot.restore;

import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.snapshot.SnapshotFile;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.vmm.PreparedRestore;
import dev.thaw.node.snapshot.ColdStart;
import dev.thaw.node.snapshot.Restorer;
import dev.thaw.node.snapshot.cache.CachedSnapshot;
import dev.thaw.node.snapshot.cache.LocalChunks;
import dev.thaw.node.snapshot.fill.ChunkAssembler;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A remote restore that fetches every file before the guest resumes: the manifest, then the files
 * (verified as they arrive, committed to the cache or kept in scratch space), then the restore. A
 * chunked (format 2) snapshot is rebuilt by a {@link ChunkAssembler} from chunks other cached
 * snapshots already hold plus those fetched, while the VMM starts up for it in parallel ({@link
 * EarlyStart}); a format-1 snapshot's files are downloaded whole.
 */
final class EagerRestore {
  private static final Logger log = LoggerFactory.getLogger(EagerRestore.class);

  private final RemoteRestore.Parts parts;
  private final ChunkAssembler assembler;

  EagerRestore(RemoteRestore.Parts parts, ChunkAssembler assembler) {
    this.parts = parts;
    this.assembler = assembler;
  }

  /**
   * Fetches into a new cache entry and restores from it; {@code settled} runs as soon as the entry
   * is committed (or known not to be), releasing cold starts that wait for it. A snapshot the cache
   * cannot take is fetched into scratch space instead.
   */
  Optional<ColdStart> cached(FunctionSpec function, String revision, Runnable settled)
      throws IOException {
    long t0 = System.nanoTime();
    Path early = parts.targets().incomingFile(revision);
    try (EarlyStart start = parts.source().earlyStart(function, revision, early)) {
      Optional<SnapshotManifest> found = parts.source().usable(revision, start);
      if (found.isEmpty()) {
        return Optional.empty();
      }
      SnapshotManifest manifest = found.get();
      // Chunk sources are pinned before room is made, so making room cannot evict them.
      try (LocalChunks local = parts.targets().localChunks(manifest)) {
        Optional<FetchTarget> entry = parts.targets().entry(revision, manifest.totalBytes());
        if (entry.isEmpty()) {
          log.warn(
              "snapshot {} ({} bytes) does not fit the cache: restoring without caching",
              revision,
              manifest.totalBytes());
          settled.run();
          return uncached(revision);
        }
        try (FetchTarget target = entry.get()) {
          return fetchAndRestore(manifest, target, local, start, t0, settled);
        }
      }
    }
  }

  /**
   * The "remote, no cache" path: fetches into scratch space while the VMM starts, restores, and
   * deletes the files.
   */
  Optional<ColdStart> uncached(FunctionSpec function, String revision) throws IOException {
    try (FetchTarget.Scratch target = parts.targets().scratch(revision);
        EarlyStart start =
            parts.source().earlyStart(function, revision, target.dir().resolve("memory.early"))) {
      long t0 = System.nanoTime();
      Optional<SnapshotManifest> found = parts.source().usable(revision, start);
      if (found.isEmpty()) {
        return Optional.empty();
      }
      try (LocalChunks local = parts.targets().localChunks(found.get())) {
        return fetchAndRestore(found.get(), target, local, start, t0, () -> {});
      }
    }
  }

  /**
   * Fetches into scratch space without an early start, restores, and deletes the files: for a
   * snapshot the cache did not take, or did not keep.
   */
  Optional<ColdStart> uncached(String revision) throws IOException {
    try (FetchTarget.Scratch target = parts.targets().scratch(revision)) {
      long t0 = System.nanoTime();
      Optional<SnapshotManifest> found = parts.source().usable(revision);
      if (found.isEmpty()) {
        return Optional.empty();
      }
      try (LocalChunks local = parts.targets().localChunks(found.get())) {
        return fetchAndRestore(found.get(), target, local, null, t0, () -> {});
      }
    }
  }

  /**
   * Fetches the files into {@code target}, completes it (then runs {@code settled}) and restores
   * from it. The VMM has mapped the memory file once this returns: deleting the files is safe.
   *
   * @param early the VMM started before the manifest was known; null when there is none
   */
  private Optional<ColdStart> fetchAndRestore(
      SnapshotManifest manifest,
      FetchTarget target,
      LocalChunks local,
      EarlyStart early,
      long t0,
      Runnable settled)
      throws IOException {
    PreparedRestore prepared = fetchFiles(manifest, target.dir(), local, early);
    Optional<CachedSnapshot> complete;
    try {
      complete = target.complete(manifest);
    } catch (IOException | RuntimeException e) {
      prepared.close();
      throw e;
    }
    Duration fetch = Restorer.since(t0);
    settled.run();
    if (complete.isEmpty()) {
      prepared.close();
      return uncached(manifest.revision());
    }
    ColdStart start = parts.restorer().fetched(complete.get(), prepared, fetch);
    parts.source().markUsed(manifest.revision());
    return Optional.of(start);
  }

  /**
   * Fetches the files of {@code manifest} into {@code dir} and returns the VMM that will restore
   * them. Chunked snapshots: the files are created sparse at full size, the VMM starts on them
   * while the chunks arrive, and is stopped again if the fetch fails.
   */
  private PreparedRestore fetchFiles(
      SnapshotManifest manifest, Path dir, LocalChunks local, EarlyStart early) throws IOException {
    Path memory = dir.resolve(manifest.file(SnapshotFile.Role.MEMORY).orElseThrow().name());
    FunctionSpec function = parts.restorer().local(manifest.function());
    long t0 = System.nanoTime();
    if (!manifest.chunked()) {
      for (SnapshotFile f : manifest.files()) {
        parts.source().store().download(manifest.revision(), f, dir.resolve(f.name()));
      }
      parts.metrics().fetched(manifest.totalBytes(), 0, Restorer.since(t0));
      // Nothing to overlap, and the files are about to move into the cache: the VMM starts on the
      // committed entry's files (one prepared on these paths would find them gone).
      return PreparedRestore.none(parts.source().vmm());
    }
    Optional<CompletableFuture<PreparedRestore>> adopted =
        early == null ? Optional.empty() : early.adopt(manifest, function, memory);
    ChunkAssembler.allocate(manifest, dir);
    CompletableFuture<PreparedRestore> prepared =
        adopted.orElseGet(
            () ->
                CompletableFuture.supplyAsync(
                    () -> parts.source().vmm().prepareRestore(function, memory),
                    parts.source().executor()));
    ChunkAssembler.Transfer transfer;
    try {
      transfer =
          early == null
              ? assembler.assemble(manifest, dir, local)
              : assembler.assemble(manifest, dir, local, early::packIndex);
    } catch (IOException | RuntimeException e) {
      prepared.thenAccept(PreparedRestore::close);
      throw e;
    }
    parts.metrics().fetched(transfer.fetchedBytes(), transfer.copiedBytes(), Restorer.since(t0));
    parts.metrics().moved(transfer);
    log.debug("fetched {}: {}", manifest.revision(), transfer);
    try {
      return prepared.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw e;
    }
  }
}
