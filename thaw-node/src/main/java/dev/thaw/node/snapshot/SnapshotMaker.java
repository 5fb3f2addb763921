package dev.thaw.node.snapshot;

import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.snapshot.Chunker;
import dev.thaw.core.snapshot.SnapshotFile;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotStore;
import dev.thaw.core.vmm.MicroVm;
import dev.thaw.core.vmm.VmSnapshot;
import dev.thaw.core.vmm.Vmm;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a snapshot of a booted instance (the thesis' algorithm 4.1) and publishes it only once a
 * clone of it has answered: pause, save memory and device state into an uncommitted cache entry,
 * restore a clone from those files, then commit the entry and, when a store is given, upload it
 * (payloads first, manifest last). The instance is stopped either way.
 */
final class SnapshotMaker {
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

  /**
   * @param publishTo where committed snapshots are uploaded; empty outside remote mode
   */
  SnapshotMaker(
      Vmm vmm,
      LocalSnapshotCache cache,
      Optional<SnapshotStore> publishTo,
      SnapshotManifest.Guest guest,
      Clock clock,
      int chunkSize,
      Restorer restorer,
      DeadSnapshots dead,
      SnapshotMetrics metrics) {
    this.vmm = vmm;
    this.cache = cache;
    this.publishTo = publishTo;
    this.guest = guest;
    this.clock = clock;
    this.chunkSize = chunkSize;
    this.restorer = restorer;
    this.dead = dead;
    this.metrics = metrics;
  }

  /**
   * Snapshots {@code vm} and verifies the snapshot with a clone.
   *
   * @return the committed manifest and the verified clone; neither when the revision was cached
   *     meanwhile, does not fit, or its snapshot is dead (its clone did not answer)
   */
  SnapshotManager.Snapshotted snapshot(MicroVm vm, FunctionSpec function, String revision) {
    Optional<LocalSnapshotCache.Writer> writer;
    try {
      writer = cache.begin(revision, function.memoryBytes() + STATE_ALLOWANCE);
    } catch (IllegalStateException alreadyThere) {
      vm.close();
      return SnapshotManager.Snapshotted.none();
    } catch (IOException e) {
      vm.close();
      throw new UncheckedIOException(e);
    }
    if (writer.isEmpty()) {
      log.warn("snapshot of {} does not fit the cache: not snapshotting", revision);
      vm.close();
      return SnapshotManager.Snapshotted.none();
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
              files.diskFile() == null
                  ? List.of(
                      describe(files.memoryFile(), SnapshotFile.Role.MEMORY),
                      describe(files.stateFile(), SnapshotFile.Role.STATE))
                  : List.of(
                      describe(files.memoryFile(), SnapshotFile.Role.MEMORY),
                      describe(files.stateFile(), SnapshotFile.Role.STATE),
                      describe(files.diskFile(), SnapshotFile.Role.DISK)));
      Optional<MicroVm> verified = verify(manifest, files);
      if (verified.isEmpty()) {
        return SnapshotManager.Snapshotted.none(); // the writer aborts: nothing committed
      }
      clone = verified.get();
      Optional<CachedSnapshot> cached = w.commitChecked(manifest);
      metrics.committed();
      if (cached.isPresent()) {
        try (CachedSnapshot pinned = cached.get()) {
          publishTo.ifPresent(store -> upload(store, manifest, pinned.dir()));
        }
      }
      handedOver = true;
      return new SnapshotManager.Snapshotted(cached.map(c -> manifest), verified);
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
          restorer.within(
              manifest,
              DeadSnapshot.Phase.VERIFY,
              limit -> vmm.restore(files, limit),
              System.nanoTime()));
    } catch (Restorer.DeadSnapshotException e) {
      dead.foundWhenVerifying(e.dead());
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
