package dev.thaw.node.snapshot;

import dev.thaw.core.function.FunctionRequest;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.function.Revision;
import dev.thaw.core.lazy.FileServer;
import dev.thaw.core.snapshot.ChunkList;
import dev.thaw.core.snapshot.RestoreDeadline;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotMode;
import dev.thaw.core.snapshot.SnapshotStore;
import dev.thaw.core.vmm.MicroVm;
import dev.thaw.core.vmm.Vmm;
import dev.thaw.node.snapshot.cache.LocalSnapshotCache;
import dev.thaw.node.snapshot.fill.ManifestDigest;
import dev.thaw.node.snapshot.fill.PeerReads;
import dev.thaw.node.snapshot.make.SnapshotMaker;
import dev.thaw.node.snapshot.make.Snapshotted;
import dev.thaw.node.snapshot.restore.Prefetch;
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
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * A node's snapshots, as the agent and tools use them: cold starts ({@link ColdStarts}: the local
 * cache, else remote storage in remote mode, else a boot, which a failed snapshot path falls back
 * to with its reason; a restored clone gets the {@link RestoreDeadline} to answer, and a snapshot
 * whose clone misses it is dead and costs the deadline at most once per node), and snapshots of
 * booted instances ({@link SnapshotMaker}: a node never publishes a snapshot nobody saw answer).
 * The parts are wired once, from the {@link Builder}, by {@link SnapshotParts}.
 */
public final class SnapshotManager implements AutoCloseable {
  /** How often a node records a revision's use in remote storage, at most. */
  public static final Duration DEFAULT_USE_RECORD_INTERVAL = Duration.ofHours(1);

  /** Chunk size of new snapshots (measured in docs/architecture/remote-storage.md). */
  public static final int DEFAULT_CHUNK_SIZE = 64 << 10;

  private final SnapshotMode mode;
  private final SnapshotParts parts;

  private SnapshotManager(Builder b) {
    this.mode = b.mode;
    this.parts = SnapshotParts.of(b);
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
    return parts.metrics().lazyReadWaits();
  }

  /** Restores whose guest answered on a memory file still being filled, since this started. */
  public long lazyRestores() {
    return parts.metrics().lazyRestores();
  }

  /**
   * Bytes of root images received from storage before the first answers of lazy restores, in all (a
   * root image this node lacked, served as it filled).
   */
  public long rootImageBytesBeforeAnswers() {
    return parts.metrics().rootImageBytesBeforeAnswers();
  }

  /** Chunks of finished remote fetches that came from peers, since this manager started. */
  public long peerChunks() {
    return parts.metrics().peerChunks();
  }

  /** How long the reads {@link #lazyReadWaits()} counts waited in all. */
  public Duration lazyReadWaitTime() {
    return parts.metrics().lazyReadWaitTime();
  }

  /** Waits until the background fetches of lazy restores have finished (cached or dropped). */
  public void awaitBackgroundFetches() {
    parts.coldStarts().awaitBackgroundFetches();
  }

  /**
   * Removes {@code revision}'s snapshot from the local cache and, in remote mode, from remote
   * storage: its function was deleted, and a later function of the same name must not restore it. A
   * snapshot in use right now stays in the cache (it goes on eviction).
   *
   * @throws IOException when remote storage cannot delete it
   */
  public void forget(Revision revision) throws IOException {
    parts.cache().remove(revision.value());
    if (parts.remote().isPresent()) {
      parts.remote().get().delete(revision.value());
    }
  }

  /**
   * Starts an instance of {@code function} at {@code revision}: from the local cache, else (remote
   * mode) from remote storage, else by a boot. Any failure of a snapshot path falls back to a boot
   * whose {@link ColdStart#fallback()} says why; the cold start itself fails only if the boot does.
   */
  public ColdStart start(FunctionSpec function, Revision revision) {
    return start(function, revision, Optional.empty());
  }

  /**
   * Like {@link #start(FunctionSpec, Revision)}, with the digest of the revision's manifest from a
   * trusted party (the gateway, as the snapshot's maker reported it): a remote restore whose start
   * a peer hands over checks the peer's manifest against it rather than waiting for storage's.
   */
  public ColdStart start(
      FunctionSpec function, Revision revision, Optional<ManifestDigest> manifestDigest) {
    return mode == SnapshotMode.DISABLED
        ? parts.coldStarts().boot(function, Optional.empty())
        : parts.coldStarts().start(function, revision.value(), manifestDigest);
  }

  /**
   * Fetches {@code revision}'s snapshot from remote storage whole into the local cache, with no
   * restore: ahead of a cold start predicted to need it. Room is made only of entries idle for
   * {@code evictIdle} or longer, never of a pinned one; the entry is verified and committed as a
   * cold start's fetch is. Nothing happens outside remote mode, when the cache holds it already,
   * when storage has no usable snapshot of it, or while a cold start fetches it.
   *
   * @throws IOException when storage fails or a chunk is missing or corrupt (nothing is cached)
   */
  public Prefetch prefetch(Revision revision, Duration evictIdle) throws IOException {
    return parts.coldStarts().prefetch(revision.value(), evictIdle);
  }

  /** The local snapshot cache. */
  public LocalSnapshotCache cache() {
    return parts.cache();
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
    return snapshotAfterFirstInvocation(vm, function, revision, first, Optional.empty());
  }

  /**
   * Like {@link #snapshotAfterFirstInvocation(MicroVm, FunctionSpec, Revision, Optional)}, handing
   * the verified clone to {@code adopt} as soon as the snapshot is committed, before it is uploaded
   * in remote mode; the returned future still completes after the upload, with no clone.
   */
  public CompletableFuture<Snapshotted> snapshotAfterFirstInvocation(
      MicroVm vm,
      FunctionSpec function,
      Revision revision,
      Optional<FunctionRequest> first,
      Optional<Consumer<MicroVm>> adopt) {
    if (mode == SnapshotMode.DISABLED) {
      vm.close();
      return CompletableFuture.completedFuture(Snapshotted.none());
    }
    return CompletableFuture.supplyAsync(
        () -> parts.maker().snapshot(vm, function, revision.value(), first, adopt), parts.writer());
  }

  /** Lets snapshots in progress finish (up to 30 s) so none is cut off half-written. */
  @Override
  public void close() {
    parts.close();
  }

  /**
   * Builder. Required: vmm, cache, guest, scratch; remote in remote mode. Its settings are read by
   * {@link SnapshotParts#of}.
   */
  public static final class Builder {
    RootImages rootImages = RootImages.of(UnaryOperator.identity());
    SnapshotMode mode = SnapshotMode.LOCAL;
    Vmm vmm;
    LocalSnapshotCache cache;
    SnapshotStore remote;
    boolean cacheRemote = true;
    SnapshotManifest.Guest guest;
    Duration readyTimeout = Duration.ofSeconds(120);
    Path scratch;
    Clock clock = Clock.systemUTC();
    MeterRegistry meters = new SimpleMeterRegistry();
    int chunkSize = DEFAULT_CHUNK_SIZE;
    int fetchParallelism = 8;
    Duration useRecordInterval = DEFAULT_USE_RECORD_INTERVAL;
    RestoreDeadline deadline = RestoreDeadline.builder().build();
    Consumer<DeadSnapshot> onDead = dead -> {};
    FileServer files;
    PeerReads peers = PeerReads.none();

    private Builder() {}

    /**
     * Reads the chunks of remote restores from the peers that hold their revision before storage
     * (default: from no peer).
     */
    public Builder peers(PeerReads peers) {
      this.peers = Objects.requireNonNull(peers);
      return this;
    }

    /**
     * How this node runs a snapshot's function: a function from an image names the root image of
     * the node that made the snapshot; this gives this node's copy of that image (default: as
     * made).
     */
    public Builder localFunction(UnaryOperator<FunctionSpec> localFunction) {
      this.rootImages = RootImages.of(Objects.requireNonNull(localFunction));
      return this;
    }

    /**
     * How this node gets the root images of functions from images (default: as the functions name
     * them): a restore may run on one still filling from remote storage, a boot gets it whole.
     */
    public Builder rootImages(RootImages rootImages) {
      this.rootImages = Objects.requireNonNull(rootImages);
      return this;
    }

    /**
     * Serves memory files through {@code files}: snapshots this node makes record the chunks their
     * first clone reads (their working set), and remote restores are lazy (the guest resumes once
     * its device state and working set are here, the rest follows). Without one, a remote restore
     * fetches every chunk first.
     */
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
