package dev.thaw.node.snapshot;

import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotStore;
import dev.thaw.node.snapshot.cache.LocalSnapshotCache;
import java.io.IOException;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a node knows of dead snapshots — those whose clones resumed but never answered — and what it
 * does about one it finds: forget it in the cache, remember it by revision and creation time (so it
 * costs the restore deadline at most once here), and in remote mode mark it unusable in remote
 * storage so that other nodes do not fetch it. A snapshot of the same revision made later is
 * another snapshot, untouched by any of this.
 */
public final class DeadSnapshots {
  private static final Logger log = LoggerFactory.getLogger(DeadSnapshots.class);

  private final LocalSnapshotCache cache;
  private final Optional<SnapshotStore> remote;
  private final Executor marker;
  private final SnapshotMetrics metrics;
  private final Consumer<DeadSnapshot> listener;
  private final Set<String> known = ConcurrentHashMap.newKeySet();

  /**
   * @param remote where to mark dead snapshots; empty outside remote mode
   * @param marker runs the marks, off the cold start's path
   */
  DeadSnapshots(
      LocalSnapshotCache cache,
      Optional<SnapshotStore> remote,
      Executor marker,
      SnapshotMetrics metrics,
      Consumer<DeadSnapshot> listener) {
    this.cache = cache;
    this.remote = remote;
    this.marker = marker;
    this.metrics = metrics;
    this.listener = listener;
  }

  /** Whether this node found {@code manifest}'s snapshot dead. */
  public boolean isDead(SnapshotManifest manifest) {
    return known.contains(key(manifest.revision(), manifest.createdAt()));
  }

  /**
   * Whether {@code manifest}'s snapshot is dead: found so here, or marked so in remote storage
   * ({@code markedUnusable}: the creation time of the revision's snapshot marked unusable).
   */
  public boolean isDead(SnapshotManifest manifest, Optional<Instant> markedUnusable) {
    if (isDead(manifest)) {
      return true;
    }
    if (markedUnusable.filter(manifest.createdAt()::equals).isPresent()) {
      log.debug("remote snapshot {} is marked unusable: booting", manifest.revision());
      known.add(key(manifest.revision(), manifest.createdAt()));
      return true;
    }
    return false;
  }

  /** A new snapshot whose first clone did not answer: it was never committed, only counted. */
  public void foundWhenVerifying(DeadSnapshot found) {
    metrics.dead(found.phase());
    listener.accept(found);
    log.warn(
        "snapshot of {} is dead: its first clone did not answer within {} ms; not committed",
        found.revision(),
        found.deadline().toMillis());
  }

  /**
   * A restored snapshot whose clone did not answer: dropped from the cache (when it is there),
   * remembered, marked unusable in remote storage.
   *
   * @return the reason, for the cold start's one fallback line
   */
  String foundWhenRestoring(DeadSnapshot found) {
    known.add(key(found.revision(), found.createdAt()));
    metrics.dead(found.phase());
    boolean dropped = cache.remove(found.revision());
    remote.ifPresent(
        store ->
            marker.execute(
                () -> {
                  try {
                    store.markUnusable(found.revision(), found.createdAt());
                  } catch (IOException | RuntimeException e) {
                    log.warn("cannot mark {} unusable: {}", found.revision(), e.getMessage());
                  }
                }));
    listener.accept(found);
    log.debug("dead snapshot {}: {}", found.revision(), found.failure().getMessage());
    return "snapshot dead: its clone did not answer within "
        + found.deadline().toMillis()
        + " ms"
        + found.failure().waited().map(w -> " of running (waited " + w + ")").orElse("")
        + (dropped ? "; dropped from the cache" : "")
        + remote.map(store -> "; marked unusable in " + store.describe()).orElse("");
  }

  private static String key(String revision, Instant createdAt) {
    return revision + "@" + createdAt;
  }
}
