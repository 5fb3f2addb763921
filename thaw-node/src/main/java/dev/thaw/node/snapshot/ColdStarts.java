package dev.thaw.node.snapshot;

import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.vmm.MicroVm;
import dev.thaw.core.vmm.Vmm;
import dev.thaw.node.snapshot.fill.ManifestDigest;
import dev.thaw.node.snapshot.restore.Prefetch;
import dev.thaw.node.snapshot.restore.RemoteRestore;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides where each cold start's VM comes from (the thesis' algorithm 4.2): the local cache first
 * ({@link Restorer}); in remote mode, else remote storage ({@link RemoteRestore}); else a boot. Any
 * failure of a snapshot path falls back to a boot with one log line saying why ({@link Fallbacks});
 * the cold start itself fails only if the boot does. A clone whose function's {@code afterRestore}
 * hook fails is such a failure (see {@link dev.thaw.core.function.FunctionHooks}).
 *
 * <p>A restored clone gets the {@link dev.thaw.core.snapshot.RestoreDeadline} (ten times the median
 * restore, a few seconds, of time its VMM could run; a starved machine stretches it up to a minute)
 * to answer, not the boot timeout. A snapshot whose clone could run for the deadline and did not
 * answer is dead: it is dropped from the cache, remembered on this node, and in remote mode marked
 * unusable in remote storage so that other nodes stop fetching it; a snapshot costs the deadline at
 * most once per node. A clone held off the CPU until the patience ran out condemns nothing: the
 * cold start boots, and the snapshot stays ({@link dev.thaw.core.snapshot.RestoreVerdict}).
 */
final class ColdStarts {
  private static final Logger log = LoggerFactory.getLogger(ColdStarts.class);

  private final Vmm vmm;
  private final Duration readyTimeout;
  private final Restorer restorer;
  private final Optional<RemoteRestore> remote;
  private final Fallbacks fallbacks;
  private final SnapshotMetrics metrics;

  /**
   * @param readyTimeout how long a booting guest may take to answer
   * @param remote restores from remote storage; empty unless in remote mode
   */
  ColdStarts(
      Vmm vmm,
      Duration readyTimeout,
      Restorer restorer,
      Optional<RemoteRestore> remote,
      Fallbacks fallbacks,
      SnapshotMetrics metrics) {
    this.vmm = vmm;
    this.readyTimeout = readyTimeout;
    this.restorer = restorer;
    this.remote = remote;
    this.fallbacks = fallbacks;
    this.metrics = metrics;
  }

  /** Starts {@code function} at {@code revision} from a snapshot if one serves, else by a boot. */
  ColdStart start(FunctionSpec function, String revision, Optional<ManifestDigest> digest) {
    Optional<String> fallback = Optional.empty();
    try {
      Optional<ColdStart> restored = restore(function, revision, digest);
      if (restored.isPresent()) {
        return restored.get();
      }
    } catch (IOException | RuntimeException e) {
      fallback = Optional.of(fallbacks.reason(revision, e));
    }
    fallback.ifPresent(why -> log.warn("cold start of {} boots fresh: {}", revision, why));
    return boot(function, fallback);
  }

  /** A restore from the cache, else from remote storage; empty when neither has a snapshot. */
  private Optional<ColdStart> restore(
      FunctionSpec function, String revision, Optional<ManifestDigest> digest) throws IOException {
    Optional<ColdStart> local = restorer.cached(revision, false);
    if (local.isPresent()) {
      metrics.hit();
      return local;
    }
    metrics.miss();
    return remote.isPresent() ? remote.get().restore(function, revision, digest) : Optional.empty();
  }

  /** Boots {@code function} from the guest image; {@code fallback} says why, if a path failed. */
  ColdStart boot(FunctionSpec function, Optional<String> fallback) {
    long t0 = System.nanoTime();
    MicroVm vm = vmm.boot(restorer.forBoot(function), readyTimeout);
    metrics.coldStart(ColdStart.Source.NONE);
    return new ColdStart.Booted(vm, Restorer.since(t0), fallback);
  }

  /** See {@link SnapshotManager#prefetch}. */
  Prefetch prefetch(String revision, Duration evictIdle) throws IOException {
    return remote.isPresent()
        ? remote.get().prefetch(revision, evictIdle)
        : new Prefetch.Skipped("not in remote mode");
  }

  /** Waits until the background fetches of lazy restores have finished. */
  void awaitBackgroundFetches() {
    remote.ifPresent(RemoteRestore::awaitFills);
  }
}
