package dev.thaw.node.snapshot;

import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.snapshot.GuestMismatchException;
import dev.thaw.core.snapshot.RestoreDeadline;
import dev.thaw.core.snapshot.RestoreVerdict;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.vmm.GuestTimeoutException;
import dev.thaw.core.vmm.MicroVm;
import dev.thaw.core.vmm.PreparedRestore;
import dev.thaw.core.vmm.RestoreWait;
import dev.thaw.core.vmm.VmSnapshot;
import dev.thaw.core.vmm.Vmm;
import dev.thaw.node.snapshot.cache.CachedSnapshot;
import dev.thaw.node.snapshot.cache.LocalSnapshotCache;
import java.time.Duration;
import java.util.Optional;

/**
 * Restores clones from snapshot files at hand — a cache entry, a fetched snapshot, a new snapshot
 * being verified — each within the {@link RestoreDeadline}, which the time each took then feeds. A
 * clone that misses the deadline is judged ({@link RestoreVerdict}): one that could run for the
 * whole deadline makes its snapshot dead ({@link DeadSnapshotException}); one the machine held off
 * the CPU until the wait's patience ran out leaves it as it is ({@link TooSlowException}). Every
 * clone that answered is then asked its function's {@code afterRestore} hook (outside the deadline:
 * the hook has its own timeout) before anyone else sends it a request.
 */
public final class Restorer {
  private final Vmm vmm;
  private final LocalSnapshotCache cache;
  private final SnapshotManifest.Guest guest;
  private final RestoreDeadline deadline;
  private final DeadSnapshots dead;
  private final SnapshotMetrics metrics;
  private final SnapshotHooks hooks;

  /** A snapshot's function as this node runs it (its root image where this node keeps it). */
  private final RootImages rootImages;

  Restorer(
      Vmm vmm,
      LocalSnapshotCache cache,
      SnapshotManifest.Guest guest,
      RestoreDeadline deadline,
      DeadSnapshots dead,
      SnapshotMetrics metrics,
      RootImages rootImages,
      SnapshotHooks hooks) {
    this.rootImages = rootImages;
    this.hooks = hooks;
    this.vmm = vmm;
    this.cache = cache;
    this.guest = guest;
    this.deadline = deadline;
    this.dead = dead;
    this.metrics = metrics;
  }

  /** Thrown by a restore whose clone missed the deadline; its caller condemns the snapshot. */
  public static final class DeadSnapshotException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient DeadSnapshot dead;

    DeadSnapshotException(DeadSnapshot dead) {
      super(dead.failure().getMessage(), dead.failure());
      this.dead = dead;
    }

    /** The dead snapshot, as the restore found it. */
    public DeadSnapshot dead() {
      return dead;
    }
  }

  /**
   * Thrown by a restore whose clone did not answer before the wait's patience ran out, having been
   * held off the CPU for so long that it could not run for its deadline: the machine was too slow,
   * and the snapshot is not condemned.
   */
  public static final class TooSlowException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    TooSlowException(String reason, GuestTimeoutException failure) {
      super(reason, failure);
    }
  }

  /** One restore, given how its guest is waited for. */
  @FunctionalInterface
  public interface RestoreCall {
    MicroVm restore(RestoreWait wait);
  }

  /**
   * Restores a clone of {@code manifest}'s snapshot with the restore deadline, which the time it
   * took (from {@code t0}, a {@link System#nanoTime()}) then feeds.
   *
   * @throws GuestMismatchException when the snapshot was made for another guest image
   * @throws DeadSnapshotException when the clone could run for its deadline and did not answer
   * @throws TooSlowException when the clone, held off the CPU, did not answer within the patience
   * @throws AfterRestoreFailedException when the clone's {@code afterRestore} hook failed (the
   *     clone is stopped)
   */
  public MicroVm within(
      SnapshotManifest manifest, DeadSnapshot.Phase phase, RestoreCall call, long t0) {
    GuestMismatchException.check(manifest, guest);
    RestoreWait wait = deadline.nextWait();
    MicroVm vm;
    try {
      vm = call.restore(wait);
      deadline.restored(since(t0));
    } catch (GuestTimeoutException e) {
      RestoreVerdict verdict = RestoreVerdict.of(wait, e.waited());
      if (verdict instanceof RestoreVerdict.TooSlow slow) {
        metrics.tooSlow(phase);
        throw new TooSlowException(slow.reason(), e);
      }
      throw new DeadSnapshotException(
          new DeadSnapshot(manifest.revision(), manifest.createdAt(), phase, wait.running(), e));
    }
    afterRestore(vm, manifest.function());
    return vm;
  }

  /**
   * Asks the clone {@code vm} of {@code function} its {@code afterRestore} hook.
   *
   * @throws AfterRestoreFailedException when it failed; {@code vm} is stopped then
   */
  public void afterRestore(MicroVm vm, FunctionSpec function) {
    Optional<SnapshotHooks.Failure> failed = hooks.afterRestore(vm, function);
    if (failed.isPresent()) {
      vm.close();
      throw new AfterRestoreFailedException(failed.get());
    }
  }

  /**
   * Restores the cached snapshot of {@code revision}, releasing it once the VMM holds it.
   *
   * @param fromRemote whether another cold start just fetched it from remote storage (it counts as
   *     a remote restore)
   * @return empty when the cache has no usable entry for it
   */
  public Optional<ColdStart> cached(String revision, boolean fromRemote) {
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
          within(
              snapshot.manifest(),
              DeadSnapshot.Phase.RESTORE,
              wait -> vmm.restore(local(snapshot.vmSnapshot()), wait),
              t0);
      ColdStart start =
          fromRemote
              ? new ColdStart.Remote(vm, Duration.ZERO, since(t0))
              : new ColdStart.Local(vm, since(t0));
      metrics.coldStart(start.source());
      return Optional.of(start);
    }
  }

  /** Restores a fetched snapshot on the VMM started for it; releases both once it runs. */
  public ColdStart.Remote fetched(
      CachedSnapshot snapshot, PreparedRestore prepared, Duration fetch) {
    long t0 = System.nanoTime();
    try (snapshot;
        prepared) {
      MicroVm vm =
          within(
              snapshot.manifest(),
              DeadSnapshot.Phase.RESTORE,
              wait -> prepared.restore(local(snapshot.vmSnapshot()), wait),
              t0);
      metrics.coldStart(ColdStart.Source.REMOTE);
      return new ColdStart.Remote(vm, fetch, since(t0));
    }
  }

  /** {@code function} (a snapshot's, as made on some node) as this node runs it. */
  public FunctionSpec local(FunctionSpec function) {
    return rootImages.forRestore(function);
  }

  /** {@code function} as this node boots it (its root image here whole). */
  FunctionSpec forBoot(FunctionSpec function) {
    return rootImages.forBoot(function);
  }

  /** This node's root images. */
  public RootImages rootImages() {
    return rootImages;
  }

  private VmSnapshot local(VmSnapshot s) {
    FunctionSpec f = local(s.function());
    return f.equals(s.function()) ? s : s.withFunction(f);
  }

  /** Time passed since {@code t0}, a {@link System#nanoTime} reading. */
  public static Duration since(long t0) {
    return Duration.ofNanos(System.nanoTime() - t0);
  }
}
