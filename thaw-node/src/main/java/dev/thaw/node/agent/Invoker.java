package dev.thaw.node.agent;

import dev.thaw.core.function.FunctionClient;
import dev.thaw.core.function.FunctionRequest;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.function.Revision;
import dev.thaw.core.placement.ExpectedStart;
import dev.thaw.core.placement.NodeTimes;
import dev.thaw.core.placement.StartPriors;
import dev.thaw.core.snapshot.SnapshotMode;
import dev.thaw.core.vmm.MicroVm;
import dev.thaw.node.agent.InstancePool.Instance;
import dev.thaw.node.protocol.ColdStartReport;
import dev.thaw.node.protocol.Refused;
import dev.thaw.node.protocol.Served;
import dev.thaw.node.snapshot.ColdStart;
import dev.thaw.node.snapshot.SnapshotManager;
import dev.thaw.node.snapshot.fill.ManifestDigest;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One invocation's path through the node, and its instance's with it: an idle warm instance of the
 * revision, else the clone this node is making of it when that is expected sooner than a boot
 * ({@link CloneWaits}), else a cold start on a slot of the {@link InstancePool}; the function's
 * answer within its timeout; then the instance back to the pool, into a snapshot (a freshly booted
 * one, replaced by a clone of that snapshot), or stopped (timed out, failed, or no longer
 * deployed). Each invocation's start and end go to the {@link KeepAlives}.
 *
 * <p>An invocation waits for its instance's answer for the function's {@linkplain
 * FunctionSpec#timeout() timeout}, counted once the instance runs (a cold start is not the
 * function's time). When it passes, the caller is refused with TIMED_OUT and the instance is
 * stopped, as Lambda ends a timed-out execution environment: its guest may still be working on the
 * abandoned request (the built-in server answers one request at a time, so it could not even answer
 * a health check; a function's own server may answer one while it keeps computing), and restoring a
 * fresh clone from the snapshot costs a cold start of milliseconds, where a stuck instance handed
 * the next request would cost that request its timeout too.
 */
final class Invoker {
  private static final Logger log = LoggerFactory.getLogger(Invoker.class);

  private final String node;
  private final int maxInstances;
  private final FunctionRegistry functions;
  private final InstancePool pool;
  private final KeepAlives keepAlives;
  private final SnapshotManager manager;
  private final BooleanSupplier closing;
  private final CloneWaits clones;
  private final StartTimes times;
  private final Prefetches prefetches;
  private final MadeManifests made;
  private final ExpectedStart expected = new ExpectedStart(StartPriors.DEFAULT);
  private final FunctionClient client =
      new FunctionClient(Duration.ofSeconds(FunctionSpec.DEFAULT_TIMEOUT_SECONDS));

  /**
   * @param closing whether the node is shutting down: no cold start then, and no clone joins the
   *     pool
   */
  Invoker(
      String node,
      int maxInstances,
      FunctionRegistry functions,
      InstancePool pool,
      KeepAlives keepAlives,
      SnapshotManager manager,
      BooleanSupplier closing,
      CloneWaits clones,
      StartTimes times,
      Prefetches prefetches,
      MadeManifests made) {
    this.node = node;
    this.maxInstances = maxInstances;
    this.functions = functions;
    this.pool = pool;
    this.keepAlives = keepAlives;
    this.manager = manager;
    this.closing = closing;
    this.clones = clones;
    this.times = times;
    this.prefetches = prefetches;
    this.made = made;
  }

  /** See {@link NodeAgent#invoke(Revision, FunctionRequest, Optional)}. */
  Invocation invoke(
      Revision revision, FunctionRequest request, Optional<ManifestDigest> manifestDigest) {
    long t0 = System.nanoTime();
    FunctionSpec function =
        functions
            .get(revision)
            .orElseThrow(
                () ->
                    new Refused(
                        Refused.Kind.UNKNOWN_REVISION,
                        "no function deployed as revision " + revision,
                        null));
    keepAlives.started(revision);
    prefetches.arrived(revision);
    Instance instance;
    Optional<ColdStartReport> cold = Optional.empty();
    ColdStart start = null;
    try {
      instance = pool.takeIdle(revision);
      if (instance == null) {
        instance = awaitClone(revision);
      }
      if (instance == null) {
        long s0 = System.nanoTime();
        start = coldStart(function, revision, manifestDigest);
        times.record(
            revision, StartTimes.Kind.of(start.source()), Duration.ofNanos(System.nanoTime() - s0));
        prefetches.coldStart(revision, start.source());
        instance = pool.register(revision, start.vm(), start instanceof ColdStart.Booted);
        cold = Optional.of(ColdStartReport.of(start));
      }
    } catch (RuntimeException e) {
      keepAlives.ended(revision);
      throw e;
    }
    // The instance goes back to the pool, or is stopped: whatever becomes of this request.
    boolean answered = false;
    long r0 = System.nanoTime();
    try {
      FunctionClient.Response response =
          client.call(
              instance.vm.endpoint(),
              instance.needsSnapshot ? request.closingConnection() : request,
              function.timeout());
      answered = true;
      times.record(revision, StartTimes.Kind.RUN, Duration.ofNanos(System.nanoTime() - r0));
      Duration latency = Duration.ofNanos(System.nanoTime() - t0);
      return new Invocation(
          response.status(),
          response.contentType(),
          response.content(),
          new Served(node, instance.id, cold, latency));
    } catch (FunctionClient.TimedOut e) {
      throw new Refused(
          Refused.Kind.TIMED_OUT,
          "function "
              + revision
              + " did not answer within "
              + function.timeout().toSeconds()
              + " s",
          e);
    } catch (RuntimeException e) {
      throw new Refused(
          Refused.Kind.FAILED, "instance " + instance.id + " failed: " + e.getMessage(), e);
    } finally {
      if (start != null) {
        start.firstAnswered();
      }
      keepAlives.ended(revision);
      if (answered) {
        release(instance, function, Optional.of(request));
      } else {
        // Timed out or failed: never handed another request (see the class comment).
        pool.stop(instance);
      }
    }
  }

  /**
   * Waits for a clone of {@code revision} this node is making, when one is expected to serve sooner
   * than a boot ({@link ExpectedStart} on this node's own figures, the clones already waited for
   * left out), for at most as long as a boot is expected to take: a clone that fails or is late
   * costs a boot, never more.
   *
   * @return the clone (or another instance returned meanwhile), or null: start one
   */
  private Instance awaitClone(Revision revision) {
    List<Long> making = clones.elapsedMs(revision);
    if (making.isEmpty()) {
      return null;
    }
    NodeTimes here =
        new NodeTimes(
            node,
            true,
            0,
            List.of(),
            making,
            clones.waiting(revision),
            false,
            false,
            times.startMedians(revision));
    Optional<ExpectedStart.Choice> best = expected.best(List.of(here), 0);
    if (best.isEmpty() || best.get().way() != ExpectedStart.Way.CLONE) {
      return null;
    }
    Duration bound = Duration.ofMillis(expected.bootMs(here, List.of(here)));
    return clones.await(revision, bound, () -> pool.takeIdle(revision));
  }

  /**
   * Starts an instance, counted against the node's capacity. At capacity, the least recently used
   * idle instance of another revision makes room (it would be reaped anyway; a waiting invocation
   * is worth more); only when every instance is busy is the cold start refused.
   */
  private ColdStart coldStart(
      FunctionSpec function, Revision revision, Optional<ManifestDigest> manifestDigest) {
    if (closing.getAsBoolean()) {
      throw new Refused(Refused.Kind.NO_CAPACITY, "agent " + node + " is shutting down", null);
    }
    if (!pool.takeSlot()) {
      throw new Refused(
          Refused.Kind.NO_CAPACITY,
          "node " + node + " is at capacity (" + maxInstances + " instances, all busy)",
          null);
    }
    try {
      return manager.start(function, revision, manifestDigest);
    } catch (RuntimeException e) {
      pool.releaseSlot();
      throw new Refused(
          Refused.Kind.FAILED, "cold start of " + revision + " failed: " + e.getMessage(), e);
    }
  }

  /**
   * Returns an instance after an invocation: to the pool, or, for a freshly booted one, into a
   * snapshot ({@code request} is the invocation it answered, empty for none).
   */
  private void release(
      Instance instance, FunctionSpec function, Optional<FunctionRequest> request) {
    if (!functions.runs(instance.revision, function)) {
      // Deleted, or redeployed as something else, meanwhile: an instance of what is no longer
      // deployed stops.
      pool.stop(instance);
      return;
    }
    if (instance.needsSnapshot && manager.mode() != SnapshotMode.DISABLED) {
      // The snapshot consumes the instance; a clone of it takes its place (and its slot), and
      // invocations that arrive meanwhile may wait for that clone.
      pool.handAway(instance);
      long clone = clones.begin(instance.revision);
      long c0 = System.nanoTime();
      // The clone serves as soon as the snapshot is committed, while it is uploaded.
      AtomicBoolean adopted = new AtomicBoolean();
      Consumer<MicroVm> adopt =
          vm -> {
            adopted.set(true);
            times.record(
                instance.revision, StartTimes.Kind.CLONE, Duration.ofNanos(System.nanoTime() - c0));
            try {
              adoptClone(instance.revision, function, vm);
            } finally {
              clones.end(instance.revision, clone);
            }
          };
      manager
          .snapshotAfterFirstInvocation(
              instance.vm, function, instance.revision, request, Optional.of(adopt))
          .whenComplete(
              (snapshotted, error) -> {
                if (error != null) {
                  log.warn("snapshot of {} failed: {}", instance.revision, error.getMessage());
                } else {
                  snapshotted.manifest().ifPresent(m -> made.made(instance.revision, m));
                }
                if (adopted.get()) {
                  return;
                }
                if (snapshotted != null && snapshotted.verifiedClone().isPresent()) {
                  adopt.accept(snapshotted.verifiedClone().get());
                } else {
                  // Whoever waits for this clone starts an instance of its own at once.
                  clones.end(instance.revision, clone);
                  replaceWithClone(instance.revision, function);
                }
              });
      return;
    }
    pool.returnIdle(instance);
    clones.signal();
  }

  /** The clone that verified the new snapshot takes the snapshotted instance's place. */
  private void adoptClone(Revision revision, FunctionSpec function, MicroVm clone) {
    if (closing.getAsBoolean()) {
      pool.releaseSlot();
      clone.close();
      return;
    }
    release(pool.register(revision, clone, false), function, Optional.empty());
  }

  private void replaceWithClone(Revision revision, FunctionSpec function) {
    if (closing.getAsBoolean()) {
      pool.releaseSlot();
      return;
    }
    try {
      ColdStart clone = manager.start(function, revision);
      release(pool.register(revision, clone.vm(), false), function, Optional.empty());
    } catch (RuntimeException e) {
      pool.releaseSlot();
      log.warn("could not restore a clone of {}: {}", revision, e.getMessage());
    }
  }
}
