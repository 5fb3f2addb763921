package dev.thaw.node.snapshot;

import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.io.FileTrees;
import dev.thaw.core.lazy.FileServer;
import dev.thaw.core.snapshot.MalformedManifestException;
import dev.thaw.core.snapshot.SnapshotFile;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotManifestCodec;
import dev.thaw.core.snapshot.SnapshotStore;
import dev.thaw.core.vmm.PreparedRestore;
import dev.thaw.core.vmm.Vmm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A cold start's restore from remote storage: the manifest, then the files (verified, committed to
 * the cache, then restored). A chunked (format 2) snapshot is rebuilt by a {@link ChunkAssembler}
 * from chunks other cached snapshots already hold plus those fetched, while the VMM starts up for
 * it in parallel ({@link EarlyStart}). Concurrent cold starts of one revision share one download.
 * Without caching ("remote, no cache"), a fetch lands in scratch space and serves one restore.
 */
final class RemoteRestore {
  private static final Logger log = LoggerFactory.getLogger(RemoteRestore.class);

  /**
   * Longest a lazy restore holds the rest of its snapshot back for the first invocation to answer
   * ({@link ColdStart#firstAnswered()}).
   */
  static final Duration REST_AFTER = Duration.ofSeconds(2);

  private final Vmm vmm;
  private final LocalSnapshotCache cache;
  private final SnapshotStore remote;
  private final boolean cacheRemote;
  private final Path scratch;
  private final Executor executor;
  private final ChunkAssembler assembler;
  private final Restorer restorer;
  private final DeadSnapshots dead;
  private final SnapshotMetrics metrics;
  private final UseRecords useRecords;
  private final ConcurrentHashMap<String, CompletableFuture<Void>> fetches =
      new ConcurrentHashMap<>();
  private final Optional<FileServer> files;
  private final int parallelism;
  private final AtomicLong servedNames = new AtomicLong();
  private final Set<CompletableFuture<?>> fills = ConcurrentHashMap.newKeySet();

  RemoteRestore(
      Vmm vmm,
      LocalSnapshotCache cache,
      SnapshotStore remote,
      boolean cacheRemote,
      Path scratch,
      Executor executor,
      ChunkAssembler assembler,
      Restorer restorer,
      DeadSnapshots dead,
      SnapshotMetrics metrics,
      UseRecords useRecords,
      Optional<FileServer> files,
      int parallelism) {
    this.files = files;
    this.parallelism = parallelism;
    this.vmm = vmm;
    this.cache = cache;
    this.remote = remote;
    this.cacheRemote = cacheRemote;
    this.scratch = scratch;
    this.executor = executor;
    this.assembler = assembler;
    this.restorer = restorer;
    this.dead = dead;
    this.metrics = metrics;
    this.useRecords = useRecords;
  }

  /**
   * Restores {@code revision} from remote storage.
   *
   * @return empty when remote storage has no usable snapshot of it
   * @throws IOException when storage is unreachable or a file cannot be read
   */
  Optional<ColdStart> restore(FunctionSpec function, String revision) throws IOException {
    boolean lazy = files.isPresent();
    if (!cacheRemote && lazy) {
      return fetchLazily(function, revision, null, files.get());
    }
    if (!cacheRemote) {
      Path dir = scratchDir(revision);
      try (EarlyStart early = earlyStart(function, revision, dir.resolve("memory.early"))) {
        return fetchUncached(revision, dir, early);
      } finally {
        FileTrees.deleteQuietly(dir);
      }
    }
    CompletableFuture<Void> mine = new CompletableFuture<>();
    CompletableFuture<Void> running = fetches.putIfAbsent(revision, mine);
    if (running != null) {
      // Another cold start is downloading this revision: wait for it, then restore locally.
      try {
        running.join();
      } catch (CompletionException e) {
        throw rethrow(e.getCause());
      }
      Optional<ColdStart> shared = restorer.cached(revision, true);
      return shared.isPresent() ? shared : fetchUncached(revision);
    }
    try {
      Optional<ColdStart> started =
          lazy
              ? fetchLazily(function, revision, mine, files.get())
              : fetchCached(function, revision, mine);
      mine.complete(null);
      return started;
    } catch (IOException | RuntimeException e) {
      mine.completeExceptionally(e);
      throw e;
    } finally {
      fetches.remove(revision, mine);
    }
  }

  /**
   * Fetches into a new cache entry and restores from it; {@code done} completes as soon as the
   * entry is committed (or known not to be), releasing cold starts that wait for it.
   */
  private Optional<ColdStart> fetchCached(
      FunctionSpec function, String revision, CompletableFuture<Void> done) throws IOException {
    long t0 = System.nanoTime();
    try (EarlyStart early = earlyStart(function, revision, cache.newIncomingFile(revision))) {
      Optional<SnapshotManifest> found = manifest(revision);
      if (found.isEmpty() || dead.isDead(found.get(), early.unusable())) {
        return Optional.empty();
      }
      SnapshotManifest manifest = found.get();
      // Chunk sources are pinned before room is made, so making room cannot evict them.
      try (LocalChunks local = localChunks(manifest)) {
        Optional<LocalSnapshotCache.Writer> writer = cache.begin(revision, manifest.totalBytes());
        if (writer.isEmpty()) {
          log.warn(
              "snapshot {} ({} bytes) does not fit the cache: restoring without caching",
              revision,
              manifest.totalBytes());
          done.complete(null);
          return fetchUncached(revision);
        }
        Optional<CachedSnapshot> cached;
        PreparedRestore prepared;
        try (LocalSnapshotCache.Writer w = writer.get()) {
          prepared = fetchFiles(manifest, w.dir(), local, early);
          try {
            cached = w.commitChecked(manifest);
          } catch (IOException | RuntimeException e) {
            prepared.close();
            throw e;
          }
        }
        Duration fetch = Restorer.since(t0);
        done.complete(null);
        if (cached.isEmpty()) {
          prepared.close();
          return fetchUncached(revision);
        }
        return Optional.of(restored(cached.get(), prepared, fetch));
      }
    }
  }

  /**
   * The lazy restore: the VMM starts on a served memory file before the manifest is read; the
   * device state and the working set the snapshot's first clone recorded are fetched first, the
   * guest resumes on them, and the rest of the chunks follow in the background (a page the guest
   * touches before its chunk arrived waits for that chunk alone). The files become a cache entry
   * once complete; {@code done} completes then, releasing cold starts of the same revision that
   * wait for it. Without caching ({@code done} null), the files fill scratch space instead, which
   * is deleted once the fill has ended and the VM has stopped.
   */
  private Optional<ColdStart> fetchLazily(
      FunctionSpec function, String revision, CompletableFuture<Void> done, FileServer server)
      throws IOException {
    long t0 = System.nanoTime();
    String name = revision + "." + servedNames.incrementAndGet() + ".memory";
    DeferredFile memory = new DeferredFile(function.memoryBytes());
    Path path = server.publish(name, memory);
    LazyFill fill = null;
    LocalSnapshotCache.Writer writer = null;
    Path scratchDir = null;
    LocalChunks local = null;
    boolean handedOver = false;
    try (EarlyStart early = new EarlyStart(vmm, remote, executor, function, revision, path, true)) {
      Optional<SnapshotManifest> found = manifest(revision);
      if (found.isEmpty() || dead.isDead(found.get(), early.unusable())) {
        return Optional.empty();
      }
      SnapshotManifest manifest = found.get();
      Optional<CompletableFuture<PreparedRestore>> prepared =
          early.adopt(manifest, restorer.local(manifest.function()), path);
      if (prepared.isEmpty()) {
        memory.abort();
        // A format-1 snapshot, say.
        return done == null ? fetchUncached(revision) : fetchCached(function, revision, done);
      }
      local = localChunks(manifest);
      Path target;
      if (done == null) {
        scratchDir = scratchDir(revision);
        target = scratchDir;
      } else {
        Optional<LocalSnapshotCache.Writer> begun = cache.begin(revision, manifest.totalBytes());
        if (begun.isEmpty()) {
          memory.abort();
          prepared.get().thenAccept(PreparedRestore::close);
          done.complete(null);
          return fetchUncached(revision);
        }
        writer = begun.get();
        target = writer.dir();
      }
      ChunkAssembler.allocate(manifest, target);
      fill =
          new LazyFill(
              manifest,
              target,
              local,
              remote,
              early.packIndex(),
              early.workingPages(),
              parallelism,
              metrics::lazyReadWaited);
      memory.attach(fill.memory());
      LazyFill filling = fill;
      // The working set goes into the page cache while QEMU starts and loads the device state.
      CompletableFuture<Void> preloaded =
          fill.priority().thenRunAsync(() -> preload(server, name, revision, filling), executor);
      PreparedRestore vm = awaitPriority(fill, prepared.get(), manifest);
      Duration fetch = Restorer.since(t0);
      ColdStart.Remote start =
          restorer.fetched(new CachedSnapshot(manifest, target, () -> {}), vm, fetch);
      preloaded.join(); // long done: it ran while QEMU started; the name is withdrawn next
      metrics.lazyRestored();
      markUsed(revision);
      log.debug(
          "lazy restore of {}: {} chunks and {} bytes of pages first; answered after {} fetched,"
              + " {} reads waited",
          revision,
          fill.priorityChunks(),
          fill.pagesFetchedBytes(),
          fill.transfer(),
          fill.waits());
      // The rest follows once the first invocation has answered, or after REST_AFTER at most.
      CompletableFuture.delayedExecutor(REST_AFTER.toMillis(), TimeUnit.MILLISECONDS, executor)
          .execute(filling::fetchRest);
      finishInBackground(manifest, filling, writer, local, done);
      handedOver = true;
      Path scratch = scratchDir;
      Runnable stopped =
          scratch == null
              ? filling::release
              : () -> {
                filling.release();
                filling.done().whenComplete((t, e) -> FileTrees.deleteQuietly(scratch));
              };
      return Optional.of(
          new ColdStart.Remote(
              new ClosingVm(start.vm(), stopped),
              start.fetch(),
              start.startup(),
              filling::fetchRest));
    } finally {
      server.withdraw(name);
      if (!handedOver) {
        memory.abort();
        if (fill != null) {
          fill.close();
        }
        if (writer != null) {
          writer.close();
        }
        if (scratchDir != null) {
          FileTrees.deleteQuietly(scratchDir);
        }
        if (local != null) {
          local.close();
        }
      }
    }
  }

  /**
   * Puts the working set of the memory file into the kernel's page cache while QEMU starts ({@link
   * LazyFill#preload}), where the guest's faults would make one round trip through the server per
   * page (about 1000 for hello, most of the time its lazy restore took). A failure costs only that
   * time.
   */
  private static void preload(FileServer server, String name, String revision, LazyFill fill) {
    try {
      fill.preload(server, name);
    } catch (IOException | RuntimeException e) {
      log.warn("cannot preload {}: {}", revision, e.getMessage());
    }
  }

  /** Waits for the device state and the working set; the VMM is stopped if they fail. */
  private static PreparedRestore awaitPriority(
      LazyFill fill, CompletableFuture<PreparedRestore> prepared, SnapshotManifest manifest)
      throws IOException {
    try {
      fill.priority().join();
      return prepared.join();
    } catch (CompletionException e) {
      prepared.thenAccept(PreparedRestore::close);
      Throwable cause = fill.done().isCompletedExceptionally() ? failure(fill) : e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      throw new IOException("cannot restore " + manifest.revision() + ": " + cause, cause);
    }
  }

  private static Throwable failure(LazyFill fill) {
    try {
      fill.done().join();
      return null;
    } catch (CompletionException e) {
      return e.getCause();
    }
  }

  /**
   * Commits the files once every chunk is written; drops them if a chunk cannot be had. Without a
   * writer (no caching), only counts what moved.
   */
  private void finishInBackground(
      SnapshotManifest manifest,
      LazyFill fill,
      LocalSnapshotCache.Writer writer,
      LocalChunks local,
      CompletableFuture<Void> done) {
    long t0 = System.nanoTime();
    CompletableFuture<?> finished =
        fill.done()
            .handleAsync(
                (transfer, failed) -> {
                  try (writer;
                      local) {
                    if (failed != null) {
                      log.warn(
                          "lazy restore of {} left incomplete: {}",
                          manifest.revision(),
                          failed.getMessage());
                      return null;
                    }
                    metrics.fetched(
                        transfer.fetchedBytes(), transfer.copiedBytes(), Restorer.since(t0));
                    if (writer != null) {
                      writer.commitChecked(manifest).ifPresent(CachedSnapshot::close);
                    }
                  } catch (IOException | RuntimeException e) {
                    log.warn("cannot cache {}: {}", manifest.revision(), e.getMessage());
                  } finally {
                    if (done != null) {
                      done.complete(null);
                    }
                  }
                  return null;
                },
                executor);
    fills.add(finished);
    finished.whenComplete((x, e) -> fills.remove(finished));
  }

  /** Waits until every lazy restore's background fetch has finished (for benchmarks and tests). */
  void awaitFills() {
    for (CompletableFuture<?> f : List.copyOf(fills)) {
      f.join();
    }
  }

  /** The "remote, no cache" path: fetch into scratch space, restore, delete. */
  private Optional<ColdStart> fetchUncached(String revision) throws IOException {
    Path dir = scratchDir(revision);
    try {
      return fetchUncached(revision, dir, null);
    } finally {
      FileTrees.deleteQuietly(dir);
    }
  }

  /** Fetches into {@code dir} (deleted by the caller), restores, and returns the clone. */
  private Optional<ColdStart> fetchUncached(String revision, Path dir, EarlyStart early)
      throws IOException {
    long t0 = System.nanoTime();
    Optional<SnapshotManifest> found = manifest(revision);
    if (found.isEmpty()
        || dead.isDead(found.get(), early == null ? remote.unusable(revision) : early.unusable())) {
      return Optional.empty();
    }
    SnapshotManifest manifest = found.get();
    PreparedRestore prepared;
    try (LocalChunks local = localChunks(manifest)) {
      prepared = fetchFiles(manifest, dir, local, early);
      try {
        SnapshotManifestCodec.verifySizes(manifest, dir);
      } catch (IOException | RuntimeException e) {
        prepared.close();
        throw e;
      }
    }
    // The VMM has mapped the memory file: deleting the directory afterwards is safe.
    return Optional.of(
        restored(new CachedSnapshot(manifest, dir, () -> {}), prepared, Restorer.since(t0)));
  }

  private ColdStart restored(CachedSnapshot snapshot, PreparedRestore prepared, Duration fetch) {
    String revision = snapshot.revision();
    ColdStart.Remote start = restorer.fetched(snapshot, prepared, fetch);
    markUsed(revision);
    return start;
  }

  /**
   * Tells remote storage the revision is in use (for collection by age), off the restore path and
   * at most once per use-record interval per revision.
   */
  private void markUsed(String revision) {
    if (!useRecords.due(revision)) {
      return;
    }
    executor.execute(
        () -> {
          try {
            remote.markUsed(revision);
          } catch (IOException | RuntimeException e) {
            useRecords.failed(revision);
            log.debug("cannot mark {} used: {}", revision, e.getMessage());
          }
        });
  }

  private EarlyStart earlyStart(FunctionSpec function, String revision, Path file)
      throws IOException {
    return new EarlyStart(vmm, remote, executor, function, revision, file);
  }

  private Path scratchDir(String revision) throws IOException {
    return Files.createTempDirectory(Files.createDirectories(scratch), revision + ".");
  }

  private LocalChunks localChunks(SnapshotManifest manifest) {
    return manifest.chunked() ? cache.localChunks(manifest.chunks().keySet()) : LocalChunks.none();
  }

  /**
   * Fetches the files of {@code manifest} into {@code dir} and returns the VMM that will restore
   * them. Chunked snapshots: the files are created sparse at full size, the VMM starts on them
   * while the chunks arrive, and is stopped again if the fetch fails.
   */
  private PreparedRestore fetchFiles(
      SnapshotManifest manifest, Path dir, LocalChunks local, EarlyStart early) throws IOException {
    Path memory = dir.resolve(manifest.file(SnapshotFile.Role.MEMORY).orElseThrow().name());
    long t0 = System.nanoTime();
    if (!manifest.chunked()) {
      for (SnapshotFile f : manifest.files()) {
        remote.download(manifest.revision(), f, dir.resolve(f.name()));
      }
      metrics.fetched(manifest.totalBytes(), 0, Restorer.since(t0));
      return vmm.prepareRestore(restorer.local(manifest.function()), memory);
    }
    Optional<CompletableFuture<PreparedRestore>> adopted =
        early == null
            ? Optional.empty()
            : early.adopt(manifest, restorer.local(manifest.function()), memory);
    ChunkAssembler.allocate(manifest, dir);
    CompletableFuture<PreparedRestore> prepared =
        adopted.orElseGet(
            () ->
                CompletableFuture.supplyAsync(
                    () -> vmm.prepareRestore(restorer.local(manifest.function()), memory),
                    executor));
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
    metrics.fetched(transfer.fetchedBytes(), transfer.copiedBytes(), Restorer.since(t0));
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

  /** The revision's manifest in remote storage, parsed and checked against this node's VMM. */
  private Optional<SnapshotManifest> manifest(String revision) throws IOException {
    Optional<String> json = remote.manifest(revision);
    if (json.isEmpty()) {
      return Optional.empty();
    }
    SnapshotManifest manifest = SnapshotManifestCodec.read(json.get(), vmm.identity());
    if (!manifest.revision().equals(revision)) {
      throw new MalformedManifestException(
          "manifest stored for " + revision + " names revision " + manifest.revision(), null);
    }
    return Optional.of(manifest);
  }

  private static IOException rethrow(Throwable cause) {
    if (cause instanceof IOException io) {
      return io;
    }
    if (cause instanceof RuntimeException r) {
      throw r;
    }
    throw new IllegalStateException(cause);
  }
}
