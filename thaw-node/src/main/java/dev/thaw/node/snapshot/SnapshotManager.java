package dev.thaw.node.snapshot;

import dev.thaw.core.concurrent.DaemonThreads;
import dev.thaw.core.function.FunctionRequest;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.function.Revision;
import dev.thaw.core.lazy.FileServer;
import dev.thaw.core.snapshot.ChunkList;
import dev.thaw.core.snapshot.GuestMismatchException;
import dev.thaw.core.snapshot.RestoreDeadline;
import dev.thaw.core.snapshot.SnapshotFormatException;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotMode;
import dev.thaw.core.snapshot.SnapshotStore;
import dev.thaw.core.snapshot.VariantSnapshotStore;
import dev.thaw.core.vmm.MicroVm;
import dev.thaw.core.vmm.RestoreCorruptException;
import dev.thaw.core.vmm.RestoreIncompatibleException;
import dev.thaw.core.vmm.Vmm;
import dev.thaw.core.vmm.VmmException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides how each cold start of a revision gets its microVM, and makes the snapshots.
 *
 * <p>Restore (the thesis' algorithm 4.2): the local cache first ({@link Restorer}); in remote mode,
 * else the remote manifest and files ({@link RemoteRestore}); else a fresh boot. Any failure of a
 * snapshot path — storage unreachable, a corrupt or incompatible snapshot, a failed restore — falls
 * back to a fresh boot with one log line saying why; the cold start itself never fails for it. A
 * clone whose function's {@code afterRestore} hook fails is such a failure (see {@link
 * dev.thaw.core.function.FunctionHooks}).
 *
 * <p>A restored clone gets the {@link RestoreDeadline} (ten times the median restore, a few
 * seconds) to answer, not the boot timeout. A snapshot whose clone misses it is dead: it is dropped
 * from the cache, remembered on this node, and in remote mode marked unusable in remote storage so
 * that other nodes stop fetching it; a snapshot costs the deadline at most once per node.
 *
 * <p>Create (algorithm 4.1, {@link SnapshotMaker}): after a booted instance's first invocation,
 * {@link #snapshotAfterFirstInvocation} asks its function's {@code beforeSnapshot} hook (a failure:
 * no snapshot this time), pauses it and saves it into an uncommitted cache entry, off the caller's
 * thread; then restores a clone from it. Only once that clone has answered is the snapshot
 * committed and, in remote mode, uploaded: a node never publishes a snapshot nobody saw answer. The
 * instance is consumed (a snapshotted VM never runs again); the verified clone takes its place.
 */
public final class SnapshotManager implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SnapshotManager.class);

  /** How often a node records a revision's use in remote storage, at most. */
  public static final Duration DEFAULT_USE_RECORD_INTERVAL = Duration.ofHours(1);

  /** Chunk size of new snapshots; see the README for the measurements behind it. */
  public static final int DEFAULT_CHUNK_SIZE = 64 << 10;

  private final SnapshotMode mode;
  private final Vmm vmm;
  private final LocalSnapshotCache cache;
  private final Duration readyTimeout;
  private final SnapshotMetrics metrics;
  private final ChunkAssembler assembler;
  private final ExecutorService starter =
      Executors.newCachedThreadPool(DaemonThreads.named("thaw-restore-starter"));
  private final ExecutorService background =
      Executors.newSingleThreadExecutor(DaemonThreads.named("thaw-snapshot-writer"));
  private final DeadSnapshots dead;
  private final Restorer restorer;
  private final RemoteRestore remoteRestore;
  private final SnapshotMaker maker;

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

  private final Optional<SnapshotStore> remote;

  private SnapshotManager(Builder b) {
    this.mode = b.mode;
    this.vmm = Objects.requireNonNull(b.vmm, "vmm");
    this.cache = Objects.requireNonNull(b.cache, "cache");
    Objects.requireNonNull(b.guest, "guest");
    Objects.requireNonNull(b.scratch, "scratch");
    if (mode == SnapshotMode.REMOTE && b.remote == null) {
      throw new IllegalArgumentException("remote mode needs a SnapshotStore");
    }
    // Remote storage as this node's variant sees it: snapshots of its own guest and VMM only.
    Optional<SnapshotStore> remote =
        mode == SnapshotMode.REMOTE
            ? Optional.of(
                new VariantSnapshotStore(
                    b.remote, VariantSnapshotStore.variantOf(b.guest, vmm.identity())))
            : Optional.empty();
    this.remote = remote;
    this.readyTimeout = b.readyTimeout;
    this.metrics = new SnapshotMetrics(b.meters);
    this.dead = new DeadSnapshots(cache, remote, starter, metrics, b.onDead);
    SnapshotHooks hooks = new SnapshotHooks();
    this.restorer =
        new Restorer(vmm, cache, b.guest, b.deadline, dead, metrics, b.localFunction, hooks);
    this.assembler = remote.map(r -> new ChunkAssembler(r, b.fetchParallelism)).orElse(null);
    this.remoteRestore =
        remote
            .map(
                r ->
                    new RemoteRestore(
                        vmm,
                        cache,
                        r,
                        b.cacheRemote,
                        b.scratch,
                        starter,
                        assembler,
                        restorer,
                        dead,
                        metrics,
                        new UseRecords(b.useRecordInterval, b.clock::instant),
                        Optional.ofNullable(b.files),
                        b.fetchParallelism))
            .orElse(null);
    this.maker =
        new SnapshotMaker(
            vmm,
            cache,
            remote,
            b.guest,
            b.clock,
            b.chunkSize,
            restorer,
            dead,
            metrics,
            Optional.ofNullable(b.files),
            hooks);
  }

  public static Builder builder() {
    return new Builder();
  }

  public SnapshotMode mode() {
    return mode;
  }

  /**
   * Reads of lazily restored memory files that had to wait for their chunk to arrive (a page the
   * guest touched outside the recorded working set), since this manager started.
   */
  public long lazyReadWaits() {
    return metrics.lazyReadWaits();
  }

  /** Restores whose guest answered on a memory file still being filled, since this started. */
  public long lazyRestores() {
    return metrics.lazyRestores();
  }

  /** How long the reads {@link #lazyReadWaits()} counts waited in all. */
  public Duration lazyReadWaitTime() {
    return metrics.lazyReadWaitTime();
  }

  /** Waits until the background fetches of lazy restores have finished (cached or dropped). */
  public void awaitBackgroundFetches() {
    if (remoteRestore != null) {
      remoteRestore.awaitFills();
    }
  }

  /**
   * Starts an instance of {@code function} at {@code revision}: from the local cache, else (remote
   * mode) from remote storage, else by a boot. Any failure of a snapshot path falls back to a boot
   * whose {@link ColdStart#fallback()} says why; the cold start itself fails only if the boot does.
   */
  /**
   * Removes {@code revision}'s snapshot from the local cache and, in remote mode, from remote
   * storage: its function was deleted, and a later function of the same name must not restore it. A
   * snapshot in use right now stays in the cache (it goes on eviction).
   *
   * @throws IOException when remote storage cannot delete it
   */
  public void forget(Revision revision) throws IOException {
    cache.remove(revision.value());
    if (remote.isPresent()) {
      remote.get().delete(revision.value());
    }
  }

  public ColdStart start(FunctionSpec function, Revision rev) {
    String revision = rev.value();
    if (mode == SnapshotMode.DISABLED) {
      return boot(function, Optional.empty());
    }
    Optional<String> fallback = Optional.empty();
    try {
      Optional<ColdStart> local = restorer.cached(revision, false);
      if (local.isPresent()) {
        metrics.hit();
        return local.get();
      }
      metrics.miss();
      if (remoteRestore != null) {
        Optional<ColdStart> fetched = remoteRestore.restore(function, revision);
        if (fetched.isPresent()) {
          return fetched.get();
        }
      }
    } catch (Restorer.DeadSnapshotException e) {
      fallback = Optional.of(dead.foundWhenRestoring(e.dead()));
    } catch (AfterRestoreFailedException e) {
      fallback = Optional.of("the clone was stopped: " + e.getMessage());
    } catch (CacheWriteException e) {
      fallback = Optional.of("local cache unusable: " + e.getMessage());
    } catch (IOException e) {
      fallback = Optional.of("remote storage unusable: " + e.getMessage());
    } catch (SnapshotFormatException e) {
      fallback = Optional.of("snapshot refused: " + e.getMessage());
      if (e instanceof GuestMismatchException) {
        // Made for another guest image (this node was upgraded): it will never restore here.
        cache.drop(revision, e.getMessage());
      }
    } catch (VmmException e) {
      fallback = Optional.of("restore failed: " + e.getMessage().lines().findFirst().orElse(""));
      if (e instanceof RestoreCorruptException || e instanceof RestoreIncompatibleException) {
        // The cached copy will never restore: drop it so the next cold start refetches.
        cache.drop(revision, e.getMessage().lines().findFirst().orElse("restore failed"));
      }
    } catch (RuntimeException e) {
      log.error("unexpected failure on the snapshot path of {}", revision, e);
      fallback = Optional.of("unexpected error: " + e);
    }
    fallback.ifPresent(why -> log.warn("cold start of {} boots fresh: {}", revision, why));
    return boot(function, fallback);
  }

  private ColdStart boot(FunctionSpec function, Optional<String> fallback) {
    long t0 = System.nanoTime();
    MicroVm vm = vmm.boot(function, readyTimeout);
    metrics.coldStart(ColdStart.Source.NONE);
    return new ColdStart.Booted(vm, Restorer.since(t0), fallback);
  }

  /**
   * Snapshots a freshly booted instance after its first invocation, off the caller's thread (see
   * {@link SnapshotMaker}): the instance is stopped; the clone that verified the snapshot is handed
   * to the caller.
   *
   * @return the committed manifest and the verified clone; neither when the revision was cached
   *     meanwhile, does not fit, or its snapshot is dead (its clone did not answer)
   */
  public CompletableFuture<Snapshotted> snapshotAfterFirstInvocation(
      MicroVm vm, FunctionSpec function, Revision revision) {
    return snapshotAfterFirstInvocation(vm, function, revision, Optional.empty());
  }

  /**
   * Like {@link #snapshotAfterFirstInvocation(MicroVm, FunctionSpec, Revision)}, given the first
   * invocation's request: with a file server, the verifying clone answers it again when it is safe
   * to repeat (GET, HEAD), so that the recorded working set covers a first invocation too.
   */
  public CompletableFuture<Snapshotted> snapshotAfterFirstInvocation(
      MicroVm vm, FunctionSpec function, Revision revision, Optional<FunctionRequest> first) {
    if (mode == SnapshotMode.DISABLED) {
      vm.close();
      return CompletableFuture.completedFuture(Snapshotted.none());
    }
    return CompletableFuture.supplyAsync(
        () -> maker.snapshot(vm, function, revision.value(), first), background);
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
      if (!background.awaitTermination(30, TimeUnit.SECONDS)) {
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
    private UnaryOperator<FunctionSpec> localFunction = UnaryOperator.identity();
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
    private FileServer files;

    private Builder() {}

    /**
     * Serves memory files through {@code files}: snapshots this node makes record the chunks their
     * first clone reads (their working set), and remote restores are lazy (the guest resumes once
     * its device state and working set are here, the rest follows). Without one, a remote restore
     * fetches every chunk first.
     */
    /**
     * How this node runs a snapshot's function: a function from an image names the root image of
     * the node that made the snapshot; this gives this node's copy of that image (default: as
     * made).
     */
    public Builder localFunction(UnaryOperator<FunctionSpec> localFunction) {
      this.localFunction = Objects.requireNonNull(localFunction);
      return this;
    }

    public Builder files(FileServer files) {
      this.files = Objects.requireNonNull(files);
      return this;
    }

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
