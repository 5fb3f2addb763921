package dev.thaw.node.snapshot.make;

import dev.thaw.core.function.FunctionRequest;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.lazy.FileServer;
import dev.thaw.core.snapshot.Chunker;
import dev.thaw.core.snapshot.SnapshotFile;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotStore;
import dev.thaw.core.vmm.MicroVm;
import dev.thaw.core.vmm.RestoreException;
import dev.thaw.core.vmm.VmSnapshot;
import dev.thaw.core.vmm.Vmm;
import dev.thaw.node.snapshot.AfterRestoreFailedException;
import dev.thaw.node.snapshot.ClosingVm;
import dev.thaw.node.snapshot.DeadSnapshot;
import dev.thaw.node.snapshot.DeadSnapshots;
import dev.thaw.node.snapshot.Restorer;
import dev.thaw.node.snapshot.SnapshotHooks;
import dev.thaw.node.snapshot.SnapshotMetrics;
import dev.thaw.node.snapshot.cache.CachedSnapshot;
import dev.thaw.node.snapshot.cache.LocalSnapshotCache;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a snapshot of a booted instance (the thesis' algorithm 4.1) and publishes it only once a
 * clone of it has answered: ask the function's {@code beforeSnapshot} hook, pause, save memory and
 * device state into an uncommitted cache entry, restore a clone from those files (which answers its
 * {@code afterRestore} hook), then commit the entry and, when a store is given, upload it (payloads
 * first, manifest last). The instance is stopped either way; a failed hook means no snapshot this
 * time (the instance may have half-prepared for one: it does not serve again).
 */
public final class SnapshotMaker {
  private static final Logger log = LoggerFactory.getLogger(SnapshotMaker.class);

  /** Device state is tens of KiB; one MiB is a safe margin over the memory size. */
  private static final long STATE_ALLOWANCE = 1L << 20;

  private final Vmm vmm;
  private final LocalSnapshotCache cache;
  private final Optional<SnapshotStore> publishTo;
  private final SnapshotManifest.Guest guest;
  private final Clock clock;
  private final int chunkSize;
  private final Restorer restorer;
  private final DeadSnapshots dead;
  private final SnapshotMetrics metrics;
  private final Optional<FileServer> files;
  private final SnapshotHooks hooks;
  private final AtomicLong served = new AtomicLong();

  /** A new snapshot's first clone, and what of its memory it read. */
  private record Verified(MicroVm vm, TouchRecorder.Touched touched, List<Integer> rootReads) {
    Verified(MicroVm vm, TouchRecorder.Touched touched) {
      this(vm, touched, List.of());
    }
  }

  /** How long the second clone recorded for the working set may take to answer. */
  private static final Duration SECOND_CLONE_TIMEOUT = Duration.ofSeconds(30);

  /**
   * @param publishTo where committed snapshots are uploaded; empty outside remote mode
   */
  public SnapshotMaker(
      Vmm vmm,
      LocalSnapshotCache cache,
      Optional<SnapshotStore> publishTo,
      SnapshotManifest.Guest guest,
      Clock clock,
      int chunkSize,
      Restorer restorer,
      DeadSnapshots dead,
      SnapshotMetrics metrics,
      Optional<FileServer> files,
      SnapshotHooks hooks) {
    this.hooks = hooks;
    this.vmm = vmm;
    this.cache = cache;
    this.publishTo = publishTo;
    this.guest = guest;
    this.clock = clock;
    this.chunkSize = chunkSize;
    this.restorer = restorer;
    this.dead = dead;
    this.metrics = metrics;
    this.files = files;
  }

  /**
   * Snapshots {@code vm} and verifies the snapshot with a clone.
   *
   * @return the committed manifest and the verified clone; neither when the revision was cached
   *     meanwhile, does not fit, its snapshot is dead (its clone did not answer), or a hook failed
   */
  public Snapshotted snapshot(
      MicroVm vm, FunctionSpec function, String revision, Optional<FunctionRequest> first) {
    return snapshot(vm, function, revision, first, Optional.empty());
  }

  /**
   * Like {@link #snapshot(MicroVm, FunctionSpec, String, Optional)}, handing the verified clone to
   * {@code adopt} as soon as the snapshot is committed, before its upload: the clone serves while
   * the snapshot travels to remote storage. The clone is then {@code adopt}'s, and the result holds
   * none.
   */
  public Snapshotted snapshot(
      MicroVm vm,
      FunctionSpec function,
      String revision,
      Optional<FunctionRequest> first,
      Optional<Consumer<MicroVm>> adopt) {
    Optional<SnapshotHooks.Failure> refused = hooks.beforeSnapshot(vm, function);
    if (refused.isPresent()) {
      log.warn("no snapshot of {} this time: {}", revision, refused.get().message());
      vm.close();
      return Snapshotted.none();
    }
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
      SnapshotManifest made =
          new SnapshotManifest(
              SnapshotManifest.FORMAT_VERSION,
              revision,
              function,
              vmm.identity(),
              guest,
              clock.instant(),
              files.diskFile() == null
                  ? List.of(
                      describe(files.memoryFile(), SnapshotFile.Role.MEMORY),
                      describe(files.stateFile(), SnapshotFile.Role.STATE))
                  : List.of(
                      describe(files.memoryFile(), SnapshotFile.Role.MEMORY),
                      describe(files.stateFile(), SnapshotFile.Role.STATE),
                      describe(files.diskFile(), SnapshotFile.Role.DISK)),
              files.controlKey());
      Optional<Verified> verifiedWith = verify(made, files, first);
      if (verifiedWith.isEmpty()) {
        return Snapshotted.none(); // the writer aborts: nothing committed
      }
      clone = verifiedWith.get().vm();
      Optional<MicroVm> verified = Optional.of(clone);
      SnapshotManifest manifest =
          RecordedWorkingPages.addTo(made, w.dir(), verifiedWith.get().touched())
              .withRootImageReads(verifiedWith.get().rootReads());
      Optional<CachedSnapshot> cached = w.commitChecked(manifest);
      metrics.committed();
      // The next cold start here restores it: a VMM that can, prepares that restore meanwhile.
      cached.ifPresent(c -> vmm.expectRestore(c.vmSnapshot()));
      if (adopt.isPresent()) {
        handedOver = true;
        verified = Optional.empty();
        try {
          adopt.get().accept(clone);
        } catch (RuntimeException e) {
          log.warn("the verified clone of {} was not adopted: {}", revision, e.getMessage());
        }
      }
      if (cached.isPresent()) {
        try (CachedSnapshot pinned = cached.get()) {
          publishTo.ifPresent(store -> upload(store, manifest, pinned.dir()));
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
   * not answer within the restore deadline (the snapshot is dead) or failed its {@code
   * afterRestore} hook (the snapshot is not committed). With a file server, the clone maps its
   * memory through it, which records what it reads until it has answered and, when {@code first} is
   * a safe request (GET or HEAD: HTTP lets a client repeat those), until it has answered that too:
   * the working set a lazy restore fetches first. A request that is not safe is not repeated; the
   * working set then ends at the resume answer.
   */
  private Optional<Verified> verify(
      SnapshotManifest manifest, VmSnapshot snapshot, Optional<FunctionRequest> first)
      throws IOException {
    if (files.isEmpty()) {
      return restore(manifest, snapshot).map(vm -> new Verified(vm, TouchRecorder.Touched.NONE));
    }
    TouchRecorder recorder = new TouchRecorder(snapshot.memoryFile(), chunkSize);
    String name = "verify-" + manifest.revision() + "-" + served.incrementAndGet();
    Path path = files.get().publish(name, recorder);
    RootImageRecording root = RootImageRecording.start(files.get(), snapshot, name);
    boolean handedOver = false;
    try {
      Optional<MicroVm> vm;
      try {
        vm = restore(manifest, root.servedAt(servedAt(snapshot, path)));
      } catch (RestoreException e) {
        // The snapshot may be fine and the served path not: verify it without a working set.
        log.warn("cannot record the working set of {}: {}", manifest.revision(), e.getMessage());
        return restore(manifest, snapshot)
            .map(plain -> new Verified(plain, TouchRecorder.Touched.NONE));
      }
      if (vm.isEmpty()) {
        return Optional.empty();
      }
      FirstRequestReplay.onto(vm.get(), first, manifest.revision());
      List<Integer> rootReads = root.stop();
      TouchRecorder.Touched touched =
          recorder.stop().union(recordAnotherClone(manifest, snapshot, first));
      handedOver = true;
      // The clone reads the rest of its memory (and its root image) through the recorders for as
      // long as it runs.
      return Optional.of(
          new Verified(
              new ClosingVm(
                  vm.get(),
                  () -> {
                    recorder.close();
                    root.close();
                  }),
              touched,
              rootReads));
    } finally {
      files.get().withdraw(name);
      root.withdraw();
      if (!handedOver) {
        recorder.close();
        root.close();
      }
    }
  }

  /**
   * What a second clone reads while it resumes and answers {@code first} (when safe to repeat):
   * clones differ a little in what they touch (timers, the fresh seed), and each page one of them
   * needs outside the recorded set is a wait for a chunk at a lazy restore. Nothing when the clone
   * cannot be had: the first clone's set stands alone.
   */
  private TouchRecorder.Touched recordAnotherClone(
      SnapshotManifest manifest, VmSnapshot snapshot, Optional<FunctionRequest> first)
      throws IOException {
    String name = "verify-" + manifest.revision() + "-" + served.incrementAndGet();
    try (TouchRecorder recorder = new TouchRecorder(snapshot.memoryFile(), chunkSize)) {
      Path path = files.orElseThrow().publish(name, recorder);
      try (MicroVm clone = vmm.restore(servedAt(snapshot, path), SECOND_CLONE_TIMEOUT)) {
        restorer.afterRestore(clone, manifest.function());
        FirstRequestReplay.onto(clone, first, manifest.revision());
        return recorder.stop();
      } catch (RuntimeException e) {
        log.warn("cannot record a second clone of {}: {}", manifest.revision(), e.getMessage());
        return TouchRecorder.Touched.NONE;
      } finally {
        files.get().withdraw(name);
      }
    }
  }

  /** {@code snapshot} with its memory file read from {@code path} (a recorder's served file). */
  private static VmSnapshot servedAt(VmSnapshot snapshot, Path path) {
    return snapshot.withMemoryFile(path);
  }

  private Optional<MicroVm> restore(SnapshotManifest manifest, VmSnapshot snapshot) {
    try {
      return Optional.of(
          restorer.within(
              manifest,
              DeadSnapshot.Phase.VERIFY,
              wait -> vmm.restore(snapshot, wait),
              System.nanoTime()));
    } catch (Restorer.DeadSnapshotException e) {
      dead.foundWhenVerifying(e.dead());
      return Optional.empty();
    } catch (AfterRestoreFailedException e) {
      log.warn("snapshot of {} not committed: its clone's {}", manifest.revision(), e.getMessage());
      return Optional.empty();
    } catch (Restorer.TooSlowException e) {
      // Not verified, so not committed; not dead either: the next boot snapshots again.
      log.warn("snapshot of {} not committed: {}", manifest.revision(), e.getMessage());
      return Optional.empty();
    }
  }

  /** Uploads a committed snapshot; a failure leaves it cached here, usable by this node. */
  private static void upload(SnapshotStore store, SnapshotManifest manifest, Path dir) {
    long t0 = System.nanoTime();
    try {
      store.upload(manifest, dir);
      log.info(
          "uploaded {} to {} in {} ms",
          manifest.revision(),
          store.describe(),
          Restorer.since(t0).toMillis());
    } catch (IOException | RuntimeException e) {
      log.warn("cannot upload {}: {}", manifest.revision(), e.getMessage());
    }
  }

  private SnapshotFile describe(Path file, SnapshotFile.Role role) throws IOException {
    return SnapshotFile.chunked(
        file.getFileName().toString(), role, Files.size(file), Chunker.describe(file, chunkSize));
  }
}
