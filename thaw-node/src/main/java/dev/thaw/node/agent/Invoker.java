package dev.thaw.node.agent;

import dev.thaw.core.function.FunctionClient;
import dev.thaw.core.function.FunctionRequest;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.function.Revision;
import dev.thaw.core.snapshot.SnapshotMode;
import dev.thaw.core.vmm.MicroVm;
import dev.thaw.node.agent.InstancePool.Instance;
import dev.thaw.node.protocol.ColdStartReport;
import dev.thaw.node.protocol.Refused;
import dev.thaw.node.protocol.Served;
import dev.thaw.node.snapshot.ColdStart;
import dev.thaw.node.snapshot.SnapshotManager;
import java.time.Duration;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One invocation's path through the node, and its instance's with it: an idle warm instance of the
 * revision, or a cold start on a slot of the {@link InstancePool}; the function's answer within its
 * timeout; then the instance back to the pool, into a snapshot (a freshly booted one, replaced by a
 * clone of that snapshot), or stopped (timed out, failed, or no longer deployed). Each invocation's
 * start and end go to the {@link KeepAlives}.
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
      BooleanSupplier closing) {
    this.node = node;
    this.maxInstances = maxInstances;
    this.functions = functions;
    this.pool = pool;
    this.keepAlives = keepAlives;
    this.manager = manager;
    this.closing = closing;
  }

  /** See {@link NodeAgent#invoke(Revision, FunctionRequest)}. */
  Invocation invoke(Revision revision, FunctionRequest request) {
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
    Instance instance;
    Optional<ColdStartReport> cold = Optional.empty();
    ColdStart start = null;
    try {
      instance = pool.takeIdle(revision);
      if (instance == null) {
        start = coldStart(function, revision);
        instance = pool.register(revision, start.vm(), start instanceof ColdStart.Booted);
        cold = Optional.of(ColdStartReport.of(start));
      }
    } catch (RuntimeException e) {
      keepAlives.ended(revision);
      throw e;
    }
    // The instance goes back to the pool, or is stopped: whatever becomes of this request.
    boolean answered = false;
    try {
      FunctionClient.Response response =
          client.call(instance.vm.endpoint(), request, function.timeout());
      answered = true;
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
   * Starts an instance, counted against the node's capacity. At capacity, the least recently used
   * idle instance of another revision makes room (it would be reaped anyway; a waiting invocation
   * is worth more); only when every instance is busy is the cold start refused.
   */
  private ColdStart coldStart(FunctionSpec function, Revision revision) {
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
      return manager.start(function, revision);
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
      // The snapshot consumes the instance; a clone of it takes its place (and its slot).
      pool.handAway(instance);
      manager
          .snapshotAfterFirstInvocation(instance.vm, function, instance.revision, request)
          .whenComplete(
              (snapshotted, error) -> {
                if (error != null) {
                  log.warn("snapshot of {} failed: {}", instance.revision, error.getMessage());
                }
                if (snapshotted != null && snapshotted.verifiedClone().isPresent()) {
                  adoptClone(instance.revision, function, snapshotted.verifiedClone().get());
                } else {
                  replaceWithClone(instance.revision, function);
                }
              });
      return;
    }
    pool.returnIdle(instance);
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
