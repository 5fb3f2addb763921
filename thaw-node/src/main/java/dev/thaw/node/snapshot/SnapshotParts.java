package dev.thaw.node.snapshot;

import dev.thaw.core.concurrent.DaemonThreads;
import dev.thaw.core.snapshot.SnapshotMode;
import dev.thaw.core.snapshot.SnapshotStore;
import dev.thaw.core.snapshot.VariantSnapshotStore;
import dev.thaw.core.vmm.Vmm;
import dev.thaw.node.snapshot.cache.LocalSnapshotCache;
import dev.thaw.node.snapshot.fill.ChunkAssembler;
import dev.thaw.node.snapshot.make.SnapshotMaker;
import dev.thaw.node.snapshot.restore.FetchTargets;
import dev.thaw.node.snapshot.restore.RemoteRestore;
import dev.thaw.node.snapshot.restore.RemoteSnapshots;
import dev.thaw.node.snapshot.restore.UseRecords;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The parts of a {@link SnapshotManager}, wired once from its builder: what starts instances
 * ({@link ColdStarts}), what makes snapshots ({@link SnapshotMaker}), the counts they keep, and the
 * threads they run on, which {@link #close()} stops so that no snapshot is cut off half-written.
 *
 * @param remote remote storage as this node's variant sees it; empty unless in remote mode
 * @param starter threads that run alongside cold starts (VMM starts, reads, use records)
 * @param writer the one thread that makes snapshots
 */
record SnapshotParts(
    LocalSnapshotCache cache,
    Optional<SnapshotStore> remote,
    SnapshotMetrics metrics,
    ColdStarts coldStarts,
    SnapshotMaker maker,
    Optional<ChunkAssembler> assembler,
    ExecutorService starter,
    ExecutorService writer)
    implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SnapshotParts.class);

  /** Wires the parts {@code b} asks for. */
  static SnapshotParts of(SnapshotManager.Builder b) {
    Vmm vmm = Objects.requireNonNull(b.vmm, "vmm");
    LocalSnapshotCache cache = Objects.requireNonNull(b.cache, "cache");
    Objects.requireNonNull(b.guest, "guest");
    Objects.requireNonNull(b.scratch, "scratch");
    if (b.mode == SnapshotMode.REMOTE && b.remote == null) {
      throw new IllegalArgumentException("remote mode needs a SnapshotStore");
    }
    // Remote storage as this node's variant sees it: snapshots of its own guest and VMM only.
    Optional<SnapshotStore> remote =
        b.mode == SnapshotMode.REMOTE
            ? Optional.of(
                new VariantSnapshotStore(
                    b.remote, VariantSnapshotStore.variantOf(b.guest, vmm.identity())))
            : Optional.empty();
    ExecutorService starter =
        Executors.newCachedThreadPool(DaemonThreads.named("thaw-restore-starter"));
    ExecutorService writer =
        Executors.newSingleThreadExecutor(DaemonThreads.named("thaw-snapshot-writer"));
    SnapshotMetrics metrics = new SnapshotMetrics(b.meters);
    DeadSnapshots dead = new DeadSnapshots(cache, remote, starter, metrics, b.onDead);
    SnapshotHooks hooks = new SnapshotHooks();
    Restorer restorer =
        new Restorer(vmm, cache, b.guest, b.deadline, dead, metrics, b.rootImages, hooks);
    Optional<ChunkAssembler> assembler =
        remote.map(r -> new ChunkAssembler(r, b.fetchParallelism, b.peers));
    RemoteRestore.Settings settings =
        new RemoteRestore.Settings(
            b.cacheRemote, b.scratch, b.fetchParallelism, Optional.ofNullable(b.files));
    UseRecords useRecords = new UseRecords(b.useRecordInterval, b.clock::instant);
    Optional<RemoteRestore> remoteRestore =
        remote.map(
            r ->
                new RemoteRestore(
                    settings,
                    new RemoteRestore.Parts(
                        new RemoteSnapshots(r, vmm, starter, dead, useRecords),
                        new FetchTargets(cache, b.scratch),
                        restorer,
                        metrics,
                        b.peers),
                    assembler.orElseThrow()));
    ColdStarts coldStarts =
        new ColdStarts(
            vmm, b.readyTimeout, restorer, remoteRestore, new Fallbacks(cache, dead), metrics);
    SnapshotMaker maker =
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
    return new SnapshotParts(cache, remote, metrics, coldStarts, maker, assembler, starter, writer);
  }

  /** Lets snapshots in progress finish (up to 30 s) so none is cut off half-written. */
  @Override
  public void close() {
    starter.shutdown();
    assembler.ifPresent(ChunkAssembler::close);
    writer.shutdown();
    try {
      if (!writer.awaitTermination(30, TimeUnit.SECONDS)) {
        log.warn("snapshots still in progress at shutdown; their partial files go at next start");
        writer.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      writer.shutdownNow();
    }
  }
}
