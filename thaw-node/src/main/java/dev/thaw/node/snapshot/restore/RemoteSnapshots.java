package dev.thaw.node.snapshot.restore;

import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.snapshot.MalformedManifestException;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotManifestCodec;
import dev.thaw.core.snapshot.SnapshotStore;
import dev.thaw.core.vmm.Vmm;
import dev.thaw.node.snapshot.DeadSnapshots;
import dev.thaw.node.snapshot.fill.ManifestDigest;
import dev.thaw.node.snapshot.fill.PeerReads;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Remote storage as this node's restores read it: a revision's manifest, checked against this
 * node's VMM and refused when its snapshot is dead; the VMM started for it before the manifest is
 * known ({@link EarlyStart}); and the record of its use (for collection by age).
 */
public final class RemoteSnapshots {
  private static final Logger log = LoggerFactory.getLogger(RemoteSnapshots.class);

  private final SnapshotStore store;
  private final Vmm vmm;
  private final Executor executor;
  private final DeadSnapshots dead;
  private final UseRecords useRecords;

  /** Remote storage {@code store} as read for {@code vmm}; {@code dead} names what it refuses. */
  public RemoteSnapshots(
      SnapshotStore store, Vmm vmm, Executor executor, DeadSnapshots dead, UseRecords useRecords) {
    this.store = store;
    this.vmm = vmm;
    this.executor = executor;
    this.dead = dead;
    this.useRecords = useRecords;
  }

  SnapshotStore store() {
    return store;
  }

  Vmm vmm() {
    return vmm;
  }

  Executor executor() {
    return executor;
  }

  /** Starts the VMM on a new plain file {@code file} while the manifest is read. */
  EarlyStart earlyStart(FunctionSpec function, String revision, Path file) throws IOException {
    return new EarlyStart(vmm, store, executor, function, revision, file);
  }

  /**
   * Starts the VMM on the served file {@code file} (a lazy restore's) while the manifest is read,
   * from {@code peers} if one holds the revision.
   */
  EarlyStart servedEarlyStart(
      FunctionSpec function,
      String revision,
      Path file,
      PeerReads peers,
      Optional<ManifestDigest> digest)
      throws IOException {
    return new EarlyStart(vmm, store, executor, function, revision, file, true, peers, digest);
  }

  /**
   * The revision's manifest, unless its snapshot is dead (on this node, or as {@code early} read
   * its unusable mark in remote storage; that mark is not waited for when {@code early} says it may
   * be asked after the guest resumed, {@link #markedUnusable}).
   *
   * @return empty when remote storage has none or it is dead
   */
  Optional<SnapshotManifest> usable(String revision, EarlyStart early) throws IOException {
    Optional<String> fromPeer = early.peerManifest();
    Optional<SnapshotManifest> found =
        fromPeer.isPresent() ? Optional.of(parse(revision, fromPeer.get())) : manifest(revision);
    Optional<Instant> mark = early.unusableAfterResume() ? Optional.empty() : early.unusable();
    if (found.isEmpty() || dead.isDead(found.get(), mark)) {
      return Optional.empty();
    }
    return found;
  }

  /**
   * Whether {@code manifest}'s snapshot is marked unusable in remote storage after all, as {@code
   * early} read the mark: asked before a guest resumed without waiting for it is handed out.
   */
  boolean markedUnusable(SnapshotManifest manifest, EarlyStart early) {
    return dead.isDead(manifest, early.unusable());
  }

  /**
   * Like {@link #usable(String, EarlyStart)}, reading the unusable mark once the manifest is in.
   */
  Optional<SnapshotManifest> usable(String revision) throws IOException {
    Optional<SnapshotManifest> found = manifest(revision);
    if (found.isEmpty() || dead.isDead(found.get(), store.unusable(revision))) {
      return Optional.empty();
    }
    return found;
  }

  /** The revision's manifest in remote storage, parsed and checked against this node's VMM. */
  private Optional<SnapshotManifest> manifest(String revision) throws IOException {
    Optional<String> json = store.manifest(revision);
    return json.isEmpty() ? Optional.empty() : Optional.of(parse(revision, json.get()));
  }

  private SnapshotManifest parse(String revision, String json) {
    SnapshotManifest manifest = SnapshotManifestCodec.read(json, vmm.identity());
    if (!manifest.revision().equals(revision)) {
      throw new MalformedManifestException(
          "manifest stored for " + revision + " names revision " + manifest.revision(), null);
    }
    return manifest;
  }

  /**
   * Tells remote storage the revision is in use (for collection by age), off the restore path and
   * at most once per use-record interval per revision.
   */
  void markUsed(String revision) {
    if (!useRecords.due(revision)) {
      return;
    }
    executor.execute(
        () -> {
          try {
            store.markUsed(revision);
          } catch (IOException | RuntimeException e) {
            useRecords.failed(revision);
            log.debug("cannot mark {} used: {}", revision, e.getMessage());
          }
        });
  }
}
