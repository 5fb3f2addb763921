package dev.thaw.node.snapshot;

import dev.thaw.core.concurrent.DaemonThreads;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.io.FileTrees;
import dev.thaw.core.snapshot.ChunkList;
import dev.thaw.core.snapshot.Chunker;
import dev.thaw.core.snapshot.MalformedManifestException;
import dev.thaw.core.snapshot.PackIndex;
import dev.thaw.core.snapshot.RestoreDeadline;
import dev.thaw.core.snapshot.SnapshotFile;
import dev.thaw.core.snapshot.SnapshotFormatException;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotManifestCodec;
import dev.thaw.core.snapshot.SnapshotMode;
import dev.thaw.core.snapshot.SnapshotStore;
import dev.thaw.core.vmm.GuestTimeoutException;
import dev.thaw.core.vmm.MicroVm;
import dev.thaw.core.vmm.PreparedRestore;
import dev.thaw.core.vmm.RestoreCorruptException;
import dev.thaw.core.vmm.RestoreIncompatibleException;
import dev.thaw.core.vmm.VmSnapshot;
import dev.thaw.core.vmm.Vmm;
import dev.thaw.core.vmm.VmmException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides how each cold start of a revision gets its microVM, and makes the snapshots.
 *
 * <p>Restore (the thesis' algorithm 4.2): the local cache first; in remote mode, else the remote
 * manifest and files (verified, committed to the cache, then restored); else a fresh boot. A
 * chunked (format 2) snapshot is rebuilt by a {@link ChunkAssembler} from chunks other cached
 * snapshots already hold plus those fetched, while the VMM starts up for it in parallel. Concurrent
 * cold starts of one revision share one download. Any failure of a snapshot path — storage
 * unreachable, a corrupt or incompatible snapshot, a failed restore — falls back to a fresh boot
 * with one log line saying why; the cold start itself never fails for it.
 *
 * <p>A restored clone gets the {@link RestoreDeadline} (ten times the median restore, a few
 * seconds) to answer, not the boot timeout. A snapshot whose clone misses it is dead: it is dropped
 * from the cache, remembered on this node, and in remote mode marked unusable in remote storage so
 * that other nodes stop fetching it; a snapshot costs the deadline at most once per node.
 *
 * <p>Create (algorithm 4.1): after a booted instance's first invocation, {@link
 * #snapshotAfterFirstInvocation} pauses it and saves it into an uncommitted cache entry, off the
 * caller's thread; then restores a clone from it. Only once that clone has answered is the snapshot
 * committed and, in remote mode, uploaded: a node never publishes a snapshot nobody saw answer. The
 * instance is consumed (a snapshotted VM never runs again); the verified clone takes its place.
 */
public final class SnapshotManager implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SnapshotManager.class);

  /** Device state is tens of KiB; one MiB is a safe margin over the memory size. */
  private static final long STATE_ALLOWANCE = 1L << 20;

  /** How often a node records a revision's use in remote storage, at most. */
  public static final Duration DEFAULT_USE_RECORD_INTERVAL = Duration.ofHours(1);

  /** Chunk size of new snapshots; see the README for the measurements behind it. */
  public static final int DEFAULT_CHUNK_SIZE = 64 << 10;

  private final SnapshotMode mode;
  private final Vmm vmm;
  private final LocalSnapshotCache cache;
  private final SnapshotStore remote;
  private final boolean cacheRemote;
  private final SnapshotManifest.Guest guest;
  private final Duration readyTimeout;
  private final Path scratch;
  private final Clock clock;
  private final UseRecords useRecords;
  private final SnapshotMetrics metrics;
  private final int chunkSize;
  private final ChunkAssembler assembler;
  private final ExecutorService starter =
      Executors.newCachedThreadPool(DaemonThreads.named("thaw-restore-starter"));
  private final ConcurrentHashMap<String, CompletableFuture<Void>> fetches =
      new ConcurrentHashMap<>();
  private final ExecutorService background =
      Executors.newSingleThreadExecutor(DaemonThreads.named("thaw-snapshot-writer"));
  private final RestoreDeadline deadline;
  private final DeadSnapshots dead;

  /** Where a cold start's VM came from. */
  public enum Source {
    LOCAL,
    REMOTE,
    NONE
  }

  /**
   * A started instance and how it was started.
   *
   * @param vm the running VM; the caller owns it
   * @param source where its snapshot came from, {@code NONE} for a fresh boot
   * @param fetch time until the snapshot's files were complete (zero unless remote)
   * @param startup time to restore or boot, until the guest answered
   * @param fallback why a snapshot path was abandoned for a boot, or empty
   */
  public record ColdStart(
      MicroVm vm, Source source, Duration fetch, Duration startup, Optional<String> fallback) {}

  /**
   * What snapshotting a booted instance left behind.
   *
   * @param manifest the committed snapshot; empty when none was (already cached, too large, dead)
   * @param verifiedClone the clone restored from it to verify it, which has answered; the caller
   *     owns it
   */
  public record Snapshotted(Optional<SnapshotManifest> manifest, Optional<MicroVm> verifiedClone) {
    static Snapshotted none() {
      return new Snapshotted(Optional.empty(), Optional.empty());
    }
  }

  /** Thrown by a restore whose clone missed the deadline; its caller condemns the snapshot. */
  private static final class DeadSnapshotException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient DeadSnapshot dead;

    DeadSnapshotException(DeadSnapshot dead) {
      super(dead.failure().getMessage(), dead.failure());
      this.dead = dead;
    }
  }

  private SnapshotManager(Builder b) {
    this.mode = b.mode;
    this.vmm = Objects.requireNonNull(b.vmm, "vmm");
    this.cache = Objects.requireNonNull(b.cache, "cache");
    this.remote = b.remote;
    this.cacheRemote = b.cacheRemote;
    this.guest = Objects.requireNonNull(b.guest, "guest");
    this.readyTimeout = b.readyTimeout;
    this.scratch = Objects.requireNonNull(b.scratch, "scratch");
    this.clock = b.clock;
    this.useRecords = new UseRecords(b.useRecordInterval, b.clock::instant);
    this.metrics = new SnapshotMetrics(b.meters);
    this.chunkSize = b.chunkSize;
    this.assembler = remote == null ? null : new ChunkAssembler(remote, b.fetchParallelism);
    this.deadline = b.deadline;
    this.dead =
        new DeadSnapshots(
            cache,
            mode == SnapshotMode.REMOTE ? Optional.of(remote) : Optional.empty(),
            starter,
            metrics,
            b.onDead);
    if (mode == SnapshotMode.REMOTE && remote == null) {
      throw new IllegalArgumentException("remote mode needs a SnapshotStore");
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  public SnapshotMode mode() {
    return mode;
  }

  /** Starts an instance of {@code function} at {@code revision}, from a snapshot if possible. */
  public ColdStart start(FunctionSpec function, String revision) {
    if (mode == SnapshotMode.DISABLED) {
      return boot(function, Optional.empty());
    }
    Optional<String> fallback = Optional.empty();
    try {
      Optional<ColdStart> local = restoreCached(revision, Source.LOCAL);
      if (local.isPresent()) {
        metrics.hit();
        return local.get();
      }
      metrics.miss();
      if (mode == SnapshotMode.REMOTE) {
        Optional<ColdStart> fetched = restoreRemote(function, revision);
        if (fetched.isPresent()) {
          return fetched.get();
        }
      }
    } catch (DeadSnapshotException e) {
      fallback = Optional.of(dead.foundWhenRestoring(e.dead));
    } catch (CacheWriteException e) {
      fallback = Optional.of("local cache unusable: " + e.getMessage());
    } catch (IOException e) {
      fallback = Optional.of("remote storage unusable: " + e.getMessage());
    } catch (SnapshotFormatException e) {
      fallback = Optional.of("snapshot refused: " + e.getMessage());
    } catch (VmmException e) {
      fallback = Optional.of("restore failed: " + e.getMessage().lines().findFirst().orElse(""));
      if (e instanceof RestoreCorruptException || e instanceof RestoreIncompatibleException) {
        // The cached copy will never restore: drop it so the next cold start refetches.
        cache.remove(revision);
      }
    } catch (RuntimeException e) {
      log.error("unexpected failure on the snapshot path of {}", revision, e);
      fallback = Optional.of("unexpected error: " + e);
    }
    fallback.ifPresent(why -> log.warn("cold start of {} boots fresh: {}", revision, why));
    return boot(function, fallback);
  }

  /**
   * Restores a clone of {@code manifest}'s snapshot with the restore deadline, which the time it
   * took (from {@code t0}) then feeds; a clone that misses it makes the snapshot dead.
   *
   * @throws DeadSnapshotException when the clone did not answer in time
   */
  private MicroVm restoreWithin(
      SnapshotManifest manifest, DeadSnapshot.Phase phase, RestoreCall call, long t0) {
    Duration limit = deadline.current();
    try {
      MicroVm vm = call.restore(limit);
      deadline.restored(since(t0));
      return vm;
    } catch (GuestTimeoutException e) {
      throw new DeadSnapshotException(
          new DeadSnapshot(manifest.revision(), manifest.createdAt(), phase, limit, e));
    }
  }

  /** A read of remote storage that may fail. */
  @FunctionalInterface
  private interface RemoteRead<T> {
    Optional<T> get() throws IOException;
  }

  /** One restore, given the time its guest has to answer. */
  @FunctionalInterface
  private interface RestoreCall {
    MicroVm restore(Duration readyTimeout);
  }

  private ColdStart boot(FunctionSpec function, Optional<String> fallback) {
    long t0 = System.nanoTime();
    MicroVm vm = vmm.boot(function, readyTimeout);
    metrics.coldStart(Source.NONE);
    return new ColdStart(vm, Source.NONE, Duration.ZERO, since(t0), fallback);
  }

  /** Restores a cached snapshot, releasing it once the VMM holds it. */
  private Optional<ColdStart> restoreCached(String revision, Source source) {
    Optional<CachedSnapshot> hit = cache.acquire(revision);
    if (hit.isEmpty()) {
      return Optional.empty();
    }
    if (dead.isDead(hit.get().manifest())) {
      // Condemned while another restore held it: drop it now that nobody does.
      hit.get().close();
      cache.remove(revision);
      return Optional.empty();
    }
    long t0 = System.nanoTime();
    try (CachedSnapshot snapshot = hit.get()) {
      MicroVm vm =
          restoreWithin(
              snapshot.manifest(),
              DeadSnapshot.Phase.RESTORE,
              limit -> vmm.restore(snapshot.vmSnapshot(), limit),
              t0);
      metrics.coldStart(source);
      return Optional.of(new ColdStart(vm, source, Duration.ZERO, since(t0), Optional.empty()));
    }
  }

  /** Restores a fetched snapshot on the VMM started for it; releases both once it runs. */
  private ColdStart restoreFetched(
      CachedSnapshot snapshot, PreparedRestore prepared, Duration fetch) {
    long t0 = System.nanoTime();
    try (snapshot;
        prepared) {
      MicroVm vm =
          restoreWithin(
              snapshot.manifest(),
              DeadSnapshot.Phase.RESTORE,
              limit -> prepared.restore(snapshot.vmSnapshot(), limit),
              t0);
      metrics.coldStart(Source.REMOTE);
      markUsed(snapshot.revision());
      return new ColdStart(vm, Source.REMOTE, fetch, since(t0), Optional.empty());
    }
  }

  /**
   * Tells remote storage the revision is in use (for collection by age), off the restore path and
   * at most once per {@link Builder#useRecordInterval} per revision.
   */
  private void markUsed(String revision) {
    if (!useRecords.due(revision)) {
      return;
    }
    starter.execute(
        () -> {
          try {
            remote.markUsed(revision);
          } catch (IOException | RuntimeException e) {
            useRecords.failed(revision);
            log.debug("cannot mark {} used: {}", revision, e.getMessage());
          }
        });
  }

  private Optional<ColdStart> restoreRemote(FunctionSpec function, String revision)
      throws IOException {
    if (!cacheRemote) {
      Path dir = Files.createTempDirectory(Files.createDirectories(scratch), revision + ".");
      try (Head head = new Head(function, revision, dir.resolve("memory.early"))) {
        return fetchUncached(revision, dir, head);
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
      Optional<ColdStart> shared = restoreCached(revision, Source.REMOTE);
      return shared.isPresent() ? shared : fetchUncached(revision);
    }
    long t0 = System.nanoTime();
    try (Head head = new Head(function, revision, cache.newIncomingFile(revision))) {
      Optional<String> json = remote.manifest(revision);
      if (json.isEmpty()) {
        mine.complete(null);
        return Optional.empty();
      }
      SnapshotManifest manifest = readRemoteManifest(revision, json.get());
      if (head.condemned(manifest)) {
        mine.complete(null);
        return Optional.empty();
      }
      // Chunk sources are pinned before room is made, so making room cannot evict them.
      try (LocalChunks local = localChunks(manifest)) {
        Optional<LocalSnapshotCache.Writer> writer = cache.begin(revision, manifest.totalBytes());
        if (writer.isEmpty()) {
          log.warn(
              "snapshot {} ({} bytes) does not fit the cache: restoring without caching",
              revision,
              manifest.totalBytes());
          mine.complete(null);
          return fetchUncached(revision);
        }
        Optional<CachedSnapshot> cached;
        PreparedRestore prepared;
        try (LocalSnapshotCache.Writer w = writer.get()) {
          prepared = fetchFiles(manifest, w.dir(), local, head);
          try {
            cached = w.commitChecked(manifest);
          } catch (IOException | RuntimeException e) {
            prepared.close();
            throw e;
          }
        }
        Duration fetch = since(t0);
        mine.complete(null);
        if (cached.isEmpty()) {
          prepared.close();
          return fetchUncached(revision);
        }
        return Optional.of(restoreFetched(cached.get(), prepared, fetch));
      }
    } catch (IOException | RuntimeException e) {
      mine.completeExceptionally(e);
      throw e;
    } finally {
      fetches.remove(revision, mine);
    }
  }

  /** The "remote, no cache" path: fetch into scratch space, restore, delete. */
  private Optional<ColdStart> fetchUncached(String revision) throws IOException {
    Path dir = Files.createTempDirectory(Files.createDirectories(scratch), revision + ".");
    try {
      return fetchUncached(revision, dir, null);
    } finally {
      FileTrees.deleteQuietly(dir);
    }
  }

  /** Fetches into {@code dir} (deleted by the caller), restores, and returns the clone. */
  private Optional<ColdStart> fetchUncached(String revision, Path dir, Head head)
      throws IOException {
    long t0 = System.nanoTime();
    Optional<String> json = remote.manifest(revision);
    if (json.isEmpty()) {
      return Optional.empty();
    }
    SnapshotManifest manifest = readRemoteManifest(revision, json.get());
    if (head == null
        ? dead.isDead(manifest, remote.unusable(revision))
        : head.condemned(manifest)) {
      return Optional.empty();
    }
    PreparedRestore prepared;
    try (LocalChunks local = localChunks(manifest)) {
      prepared = fetchFiles(manifest, dir, local, head);
      try {
        SnapshotManifestCodec.verifySizes(manifest, dir);
      } catch (IOException | RuntimeException e) {
        prepared.close();
        throw e;
      }
    }
    // The VMM has mapped the memory file: deleting the directory afterwards is safe.
    return Optional.of(
        restoreFetched(new CachedSnapshot(manifest, dir, () -> {}), prepared, since(t0)));
  }

  /**
   * What a remote restore starts before it knows the manifest: the VMM, on an empty memory file of
   * the requested function's size (a snapshot of it has that size), and the read of the pack index.
   * Both run while the manifest is fetched; if the manifest turns out not to fit them they are
   * dropped.
   */
  private final class Head implements AutoCloseable {
    private final FunctionSpec function;
    private final CompletableFuture<PreparedRestore> started;
    private final CompletableFuture<Optional<PackIndex>> pack;
    private final CompletableFuture<Optional<Instant>> unusable;
    private final Path file;
    private boolean handedOver;

    Head(FunctionSpec function, String revision, Path file) throws IOException {
      this.function = function;
      this.file = file;
      ChunkAssembler.createSparse(file, function.memoryBytes());
      this.started =
          CompletableFuture.supplyAsync(() -> vmm.prepareRestore(function, file), starter);
      this.pack = readQuietly(() -> remote.packIndex(revision));
      this.unusable = readQuietly(() -> remote.unusable(revision));
    }

    /**
     * Reads something optional from remote storage alongside the manifest; unreachable storage
     * reads as absent (the manifest read then says why).
     */
    private <T> CompletableFuture<Optional<T>> readQuietly(RemoteRead<T> read) {
      return CompletableFuture.supplyAsync(
          () -> {
            try {
              return read.get();
            } catch (IOException e) {
              return Optional.<T>empty();
            }
          },
          starter);
    }

    /** Whether {@code m} is a snapshot found dead, here or (marked) by another node. */
    boolean condemned(SnapshotManifest m) {
      return dead.isDead(m, unusable.join());
    }

    /**
     * Links the early memory file in at {@code target} and hands over its VMM, when the snapshot is
     * a chunked one of the same function; empty otherwise (the caller starts its own).
     */
    Optional<CompletableFuture<PreparedRestore>> adopt(SnapshotManifest m, Path target) {
      SnapshotFile memory = m.file(SnapshotFile.Role.MEMORY).orElseThrow();
      if (handedOver
          || !m.chunked()
          || !m.function().equals(function)
          || memory.size() != function.memoryBytes()) {
        return Optional.empty();
      }
      try {
        // A second name for the same inode: QEMU may not have opened the first one yet, and a
        // missing path it would create afresh, mapping an empty file.
        Files.createLink(target, file);
      } catch (IOException | UnsupportedOperationException e) {
        return Optional.empty();
      }
      handedOver = true;
      return Optional.of(started);
    }

    Optional<PackIndex> packIndex() {
      return pack.join();
    }

    /** Stops the VMM unless handed over; drops the early name once QEMU has opened the file. */
    @Override
    public void close() {
      if (!handedOver) {
        handedOver = true;
        started.thenAccept(PreparedRestore::close);
      }
      started.whenComplete((vm, failure) -> FileTrees.deleteQuietly(file));
    }
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
      SnapshotManifest manifest, Path dir, LocalChunks local, Head head) throws IOException {
    Path memory = dir.resolve(manifest.file(SnapshotFile.Role.MEMORY).orElseThrow().name());
    long t0 = System.nanoTime();
    if (!manifest.chunked()) {
      for (SnapshotFile f : manifest.files()) {
        remote.download(manifest.revision(), f, dir.resolve(f.name()));
      }
      metrics.fetched(manifest.totalBytes(), 0, since(t0));
      return vmm.prepareRestore(manifest.function(), memory);
    }
    Optional<CompletableFuture<PreparedRestore>> adopted =
        head == null ? Optional.empty() : head.adopt(manifest, memory);
    ChunkAssembler.allocate(manifest, dir);
    CompletableFuture<PreparedRestore> early =
        adopted.orElseGet(
            () ->
                CompletableFuture.supplyAsync(
                    () -> vmm.prepareRestore(manifest.function(), memory), starter));
    ChunkAssembler.Transfer transfer;
    try {
      transfer =
          head == null
              ? assembler.assemble(manifest, dir, local)
              : assembler.assemble(manifest, dir, local, head::packIndex);
    } catch (IOException | RuntimeException e) {
      early.thenAccept(PreparedRestore::close);
      throw e;
    }
    metrics.fetched(transfer.fetchedBytes(), transfer.copiedBytes(), since(t0));
    log.debug("fetched {}: {}", manifest.revision(), transfer);
    try {
      return early.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw e;
    }
  }

  private SnapshotManifest readRemoteManifest(String revision, String json) {
    SnapshotManifest manifest = SnapshotManifestCodec.read(json, vmm.identity());
    if (!manifest.revision().equals(revision)) {
      throw new MalformedManifestException(
          "manifest stored for " + revision + " names revision " + manifest.revision(), null);
    }
    return manifest;
  }

  /**
   * Snapshots a freshly booted instance after its first invocation, off the caller's thread: pause,
   * save memory and device state into an uncommitted cache entry, restore a clone from it, and only
   * once that clone has answered commit the entry and, in remote mode, upload it (payloads first,
   * manifest last). The instance is stopped; the clone is handed to the caller.
   *
   * @return the committed manifest and the verified clone; neither when the revision was cached
   *     meanwhile, does not fit, or its snapshot is dead (its clone did not answer)
   */
  public CompletableFuture<Snapshotted> snapshotAfterFirstInvocation(
      MicroVm vm, FunctionSpec function, String revision) {
    if (mode == SnapshotMode.DISABLED) {
      vm.close();
      return CompletableFuture.completedFuture(Snapshotted.none());
    }
    return CompletableFuture.supplyAsync(() -> createSnapshot(vm, function, revision), background);
  }

  private Snapshotted createSnapshot(MicroVm vm, FunctionSpec function, String revision) {
    Optional<LocalSnapshotCache.Writer> writer;
    try {
      writer = cache.begin(revision, function.memoryBytes() + STATE_ALLOWANCE);
    } catch (IllegalStateException alreadyThere) {
      vm.close();
      return Snapshotted.none();
    } catch (IOException e) {
      vm.close();
      throw new UncheckedIOException(e);
    }
    if (writer.isEmpty()) {
      log.warn("snapshot of {} does not fit the cache: not snapshotting", revision);
      vm.close();
      return Snapshotted.none();
    }
    MicroVm clone = null;
    boolean handedOver = false;
    try (LocalSnapshotCache.Writer w = writer.get()) {
      vm.pause();
      VmSnapshot files = vm.snapshot(w.dir());
      SnapshotManifest manifest =
          new SnapshotManifest(
              SnapshotManifest.FORMAT_VERSION,
              revision,
              function,
              vmm.identity(),
              guest,
              clock.instant(),
              List.of(
                  describe(files.memoryFile(), SnapshotFile.Role.MEMORY),
                  describe(files.stateFile(), SnapshotFile.Role.STATE)));
      Optional<MicroVm> verified = verify(manifest, files);
      if (verified.isEmpty()) {
        return Snapshotted.none(); // the writer aborts: nothing committed, nothing uploaded
      }
      clone = verified.get();
      Optional<CachedSnapshot> cached = w.commitChecked(manifest);
      metrics.committed();
      if (cached.isPresent()) {
        try (CachedSnapshot pinned = cached.get()) {
          if (mode == SnapshotMode.REMOTE) {
            upload(manifest, pinned.dir());
          }
        }
      }
      handedOver = true;
      return new Snapshotted(cached.map(c -> manifest), verified);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot snapshot " + revision + ": " + e.getMessage(), e);
    } finally {
      if (clone != null && !handedOver) {
        clone.close();
      }
      vm.close();
    }
  }

  /**
   * Restores the first clone of a new snapshot from its uncommitted files; empty when the clone did
   * not answer within the restore deadline (the snapshot is dead).
   */
  private Optional<MicroVm> verify(SnapshotManifest manifest, VmSnapshot files) {
    try {
      return Optional.of(
          restoreWithin(
              manifest,
              DeadSnapshot.Phase.VERIFY,
              limit -> vmm.restore(files, limit),
              System.nanoTime()));
    } catch (DeadSnapshotException e) {
      dead.foundWhenVerifying(e.dead);
      return Optional.empty();
    }
  }

  /** Uploads a committed snapshot; a failure leaves it cached here, usable by this node. */
  private void upload(SnapshotManifest manifest, Path dir) {
    long t0 = System.nanoTime();
    try {
      remote.upload(manifest, dir);
      log.info(
          "uploaded {} to {} in {} ms",
          manifest.revision(),
          remote.describe(),
          since(t0).toMillis());
    } catch (IOException | RuntimeException e) {
      log.warn("cannot upload {}: {}", manifest.revision(), e.getMessage());
    }
  }

  private SnapshotFile describe(Path file, SnapshotFile.Role role) throws IOException {
    return SnapshotFile.chunked(
        file.getFileName().toString(), role, Files.size(file), Chunker.describe(file, chunkSize));
  }

  private static Duration since(long t0) {
    return Duration.ofNanos(System.nanoTime() - t0);
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

  /** Lets snapshots in progress finish (up to 30 s) so none is cut off half-written. */
  @Override
  public void close() {
    starter.shutdown();
    if (assembler != null) {
      assembler.close();
    }
    background.shutdown();
    try {
      if (!background.awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS)) {
        log.warn("snapshots still in progress at shutdown; their partial files go at next start");
        background.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      background.shutdownNow();
    }
  }

  /** Builder. Required: vmm, cache, guest, scratch; remote in remote mode. */
  public static final class Builder {
    private SnapshotMode mode = SnapshotMode.LOCAL;
    private Vmm vmm;
    private LocalSnapshotCache cache;
    private SnapshotStore remote;
    private boolean cacheRemote = true;
    private SnapshotManifest.Guest guest;
    private Duration readyTimeout = Duration.ofSeconds(120);
    private Path scratch;
    private Clock clock = Clock.systemUTC();
    private MeterRegistry meters = new SimpleMeterRegistry();
    private int chunkSize = DEFAULT_CHUNK_SIZE;
    private int fetchParallelism = 8;
    private Duration useRecordInterval = DEFAULT_USE_RECORD_INTERVAL;
    private RestoreDeadline deadline = RestoreDeadline.builder().build();
    private Consumer<DeadSnapshot> onDead = dead -> {};

    private Builder() {}

    /** How long a restored clone may take to answer before its snapshot is judged dead. */
    public Builder restoreDeadline(RestoreDeadline deadline) {
      this.deadline = Objects.requireNonNull(deadline);
      return this;
    }

    /** Told of every dead snapshot found (for benchmarks and reports). */
    public Builder onDeadSnapshot(Consumer<DeadSnapshot> onDead) {
      this.onDead = Objects.requireNonNull(onDead);
      return this;
    }

    /**
     * How often, at most, a remote restore records its revision's use in remote storage (for {@code
     * thaw snapshots gc --unused-for}); zero: every remote restore. Default one hour.
     */
    public Builder useRecordInterval(Duration useRecordInterval) {
      if (useRecordInterval.isNegative()) {
        throw new IllegalArgumentException("use record interval must not be negative");
      }
      this.useRecordInterval = useRecordInterval;
      return this;
    }

    /** Chunk size of the snapshots this node makes (a multiple of 4 KiB). */
    public Builder chunkSize(int chunkSize) {
      new ChunkList(chunkSize, List.of()); // validates
      this.chunkSize = chunkSize;
      return this;
    }

    /** Chunks fetched at once in a remote restore; default 8. */
    public Builder fetchParallelism(int fetchParallelism) {
      if (fetchParallelism < 1 || fetchParallelism > 64) {
        throw new IllegalArgumentException("fetch parallelism must be within 1..64");
      }
      this.fetchParallelism = fetchParallelism;
      return this;
    }

    public Builder mode(SnapshotMode mode) {
      this.mode = Objects.requireNonNull(mode);
      return this;
    }

    public Builder vmm(Vmm vmm) {
      this.vmm = vmm;
      return this;
    }

    public Builder cache(LocalSnapshotCache cache) {
      this.cache = cache;
      return this;
    }

    public Builder remote(SnapshotStore remote) {
      this.remote = remote;
      return this;
    }

    /** False for the "remote, no cache" configuration: fetched snapshots serve one restore. */
    public Builder cacheRemote(boolean cacheRemote) {
      this.cacheRemote = cacheRemote;
      return this;
    }

    /** Digests of the guest image this node boots, recorded in every manifest. */
    public Builder guest(SnapshotManifest.Guest guest) {
      this.guest = guest;
      return this;
    }

    /** How long a booting guest may take to answer (restores use the restore deadline). */
    public Builder readyTimeout(Duration readyTimeout) {
      this.readyTimeout = Objects.requireNonNull(readyTimeout);
      return this;
    }

    /** Where uncached fetches land for the duration of one restore. */
    public Builder scratch(Path scratch) {
      this.scratch = scratch;
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock);
      return this;
    }

    public Builder meters(MeterRegistry meters) {
      this.meters = Objects.requireNonNull(meters);
      return this;
    }

    public SnapshotManager build() {
      return new SnapshotManager(this);
    }
  }
}
