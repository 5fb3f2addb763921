package dev.thaw.node.agent;

import dev.thaw.core.concurrent.DaemonThreads;
import dev.thaw.core.function.FunctionClient;
import dev.thaw.core.function.FunctionRequest;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.function.Revision;
import dev.thaw.core.lifecycle.KeepAlivePolicy;
import dev.thaw.core.vmm.MicroVm;
import dev.thaw.node.agent.InstancePool.Instance;
import dev.thaw.node.logs.LogStore;
import dev.thaw.node.protocol.ColdStartReport;
import dev.thaw.node.protocol.ImageDeployment;
import dev.thaw.node.protocol.InstanceInfo;
import dev.thaw.node.protocol.LogLine;
import dev.thaw.node.protocol.LogQuery;
import dev.thaw.node.protocol.NodeStatus;
import dev.thaw.node.protocol.Refused;
import dev.thaw.node.protocol.Served;
import dev.thaw.node.snapshot.ColdStart;
import dev.thaw.node.snapshot.SnapshotManager;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node agent's engine: deployed functions, their instances, and invocations.
 *
 * <p>An instance serves one invocation at a time. An invocation takes an idle warm instance of its
 * revision, or cold-starts one through the {@link SnapshotManager}. A freshly booted instance is
 * snapshotted after its first answer (the answer is not delayed): the snapshot consumes it, and a
 * clone restored from the new snapshot joins the idle pool in its place. Idle instances stop after
 * the keep-alive window, so an unused function scales to zero.
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
public final class NodeAgent implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NodeAgent.class);

  private final String name;
  private final SnapshotManager manager;
  private final KeepAlives keepAlives;
  private final int maxInstances;
  private final long memoryBytes;
  private final LongSupplier ticker;
  private final FunctionClient client;
  private final ImageFunctions images;
  private final Optional<LogStore> logs;
  private final Map<Revision, FunctionSpec> functions = new ConcurrentHashMap<>();
  private final InstancePool pool;
  private final ScheduledExecutorService reaper =
      Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("thaw-agent-reaper"));
  private volatile boolean closed;

  private NodeAgent(Builder b) {
    this.name = b.name;
    this.logs = Optional.ofNullable(b.logs);
    this.manager = Objects.requireNonNull(b.manager, "manager");
    this.keepAlives = new KeepAlives(b.keepAlivePolicy, b.ticker);
    this.maxInstances = b.maxInstances;
    this.memoryBytes = b.memoryBytes;
    this.ticker = b.ticker;
    this.client = new FunctionClient(Duration.ofSeconds(FunctionSpec.DEFAULT_TIMEOUT_SECONDS));
    this.images = b.images;
    this.pool = new InstancePool(name, maxInstances, ticker);
    long period = Math.max(100, Math.min(1000, b.keepAlivePolicy.tracker().keepAliveMillis() / 4));
    reaper.scheduleWithFixedDelay(this::reapIdle, period, period, TimeUnit.MILLISECONDS);
  }

  public static Builder builder() {
    return new Builder();
  }

  public String name() {
    return name;
  }

  public int maxInstances() {
    return maxInstances;
  }

  public SnapshotManager manager() {
    return manager;
  }

  /**
   * Deploys (or redeploys) a revision of a function.
   *
   * @throws Refused INVALID when the function needs more memory than the node has
   */
  public void deploy(Revision revision, FunctionSpec function) {
    Objects.requireNonNull(revision);
    Objects.requireNonNull(function);
    if (function.memoryBytes() > memoryBytes) {
      throw new Refused(
          Refused.Kind.INVALID,
          "function "
              + function.id()
              + " needs "
              + function.memoryMib()
              + " MiB of memory; node "
              + name
              + " has "
              + (memoryBytes >> 20)
              + " MiB",
          null);
    }
    FunctionSpec before = functions.put(revision, function);
    if (before != null && !before.equals(function)) {
      // Idle instances run what was deployed before; busy ones stop when they answer. Its
      // snapshot is of that function too: a cold start of the new one must not restore it.
      pool.stopIdle(revision);
      try {
        manager.forget(revision);
      } catch (IOException e) {
        log.warn(
            "{} redeployed: its old snapshot could not be removed: {}", revision, e.getMessage());
      }
    }
  }

  /**
   * Deploys (or redeploys) a revision of a function given as an image: its root image is pulled and
   * built first (once per image digest), so this may take as long as the image takes to fetch.
   *
   * @return the function as deployed
   * @throws Refused INVALID for an image refused or a node that runs no images, FAILED when the
   *     image cannot be fetched or built
   */
  public FunctionSpec deploy(Revision revision, ImageDeployment deployment) {
    if (images == null) {
      throw new Refused(
          Refused.Kind.INVALID,
          "node " + name + " runs no functions from images (it has no image cache)",
          null);
    }
    FunctionSpec function = images.resolve(revision, deployment);
    deploy(revision, function);
    return function;
  }

  /** Deployed functions by revision name. */
  public Map<String, FunctionSpec> functions() {
    Map<String, FunctionSpec> out = new java.util.TreeMap<>();
    functions.forEach((r, f) -> out.put(r.value(), f));
    return out;
  }

  /**
   * Invokes {@code path} on an instance of {@code revision}.
   *
   * @throws Refused UNKNOWN_REVISION when nothing is deployed under {@code revision}, NO_CAPACITY
   *     at capacity or while shutting down, FAILED when the cold start or the instance fails
   */
  public Invocation invoke(Revision revision, String path) {
    try {
      return invoke(revision, FunctionRequest.get(path));
    } catch (IllegalArgumentException e) {
      throw new Refused(Refused.Kind.INVALID, e.getMessage(), e);
    }
  }

  /**
   * Invokes {@code request} (its method, path, headers and body) on an instance of {@code
   * revision}.
   *
   * @throws Refused UNKNOWN_REVISION when nothing is deployed under {@code revision}, NO_CAPACITY
   *     at capacity or while shutting down, FAILED when the cold start or the instance fails,
   *     TIMED_OUT when the function does not answer within its timeout (the instance is stopped)
   */
  public Invocation invoke(Revision revision, FunctionRequest request) {
    long t0 = System.nanoTime();
    FunctionSpec function = functions.get(revision);
    if (function == null) {
      throw new Refused(
          Refused.Kind.UNKNOWN_REVISION, "no function deployed as revision " + revision, null);
    }
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
          new Served(name, instance.id, cold, latency));
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
   * Starts an instance, counted against {@link #maxInstances()}. At capacity, the least recently
   * used idle instance of another revision makes room (it would be reaped anyway; a waiting
   * invocation is worth more); only when every instance is busy is the cold start refused.
   */
  private ColdStart coldStart(FunctionSpec function, Revision revision) {
    if (closed) {
      throw new Refused(Refused.Kind.NO_CAPACITY, "agent " + name + " is shutting down", null);
    }
    if (!pool.takeSlot()) {
      throw new Refused(
          Refused.Kind.NO_CAPACITY,
          "node " + name + " is at capacity (" + maxInstances + " instances, all busy)",
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
    if (!function.equals(functions.get(instance.revision))) {
      // Deleted, or redeployed as something else, meanwhile: an instance of what is no longer
      // deployed stops.
      pool.stop(instance);
      return;
    }
    if (instance.needsSnapshot && manager.mode() != dev.thaw.core.snapshot.SnapshotMode.DISABLED) {
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
    if (closed) {
      pool.releaseSlot();
      clone.close();
      return;
    }
    release(pool.register(revision, clone, false), function, Optional.empty());
  }

  private void replaceWithClone(Revision revision, FunctionSpec function) {
    if (closed) {
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

  /**
   * Forgets {@code revision}: later invocations of it are refused, its idle instances stop now and
   * its busy ones when they answer, and its snapshot is removed (locally and, in remote mode, from
   * remote storage), so that a function deployed later under the same name starts afresh.
   *
   * @return whether it was deployed
   */
  public boolean undeploy(Revision revision) {
    FunctionSpec was = functions.remove(revision);
    pool.stopIdle(revision);
    if (was != null) {
      logs.ifPresent(l -> l.delete(was.id()));
    }
    try {
      manager.forget(revision);
    } catch (java.io.IOException | RuntimeException e) {
      log.warn("could not remove the snapshot of {}: {}", revision, e.getMessage());
    }
    return was != null;
  }

  /**
   * The lines {@code revision}'s instances on this node wrote that {@code query} asks for, oldest
   * first; none when this node keeps no logs.
   *
   * @throws Refused UNKNOWN_REVISION when the revision is not deployed here
   */
  public List<LogLine> logs(Revision revision, LogQuery query) {
    FunctionSpec function = functions.get(revision);
    if (function == null) {
      throw new Refused(
          Refused.Kind.UNKNOWN_REVISION, "no function " + revision + " on " + name, null);
    }
    return logs.map(l -> l.read(function.id(), query)).orElse(List.of());
  }

  /** Stops every idle instance of {@code revision} now (a launcher pod going away). */
  public int stopIdle(Revision revision) {
    return pool.stopIdle(revision);
  }

  /** Stops idle instances whose keep-alive window has passed. */
  void reapIdle() {
    pool.reap(keepAlives::windowNanos);
  }

  public List<InstanceInfo> instances() {
    return pool.infos();
  }

  /** What {@code GET /health} reports. */
  public NodeStatus status() {
    int active = pool.active();
    int idleNow = pool.idleCount();
    return new NodeStatus(
        closed ? "stopping" : "ok", name, maxInstances, active, Math.max(0, active - idleNow));
  }

  /** Instances running or starting now, counted against {@link #maxInstances()}. */
  public int activeInstances() {
    return pool.active();
  }

  /** Stops every instance. */
  @Override
  public void close() {
    closed = true;
    reaper.shutdownNow();
    manager.close();
    pool.stopAll();
  }

  /**
   * Builder; defaults: keep-alive fixed at 60 s, 8 instances. Each function has its own invocation
   * timeout ({@link FunctionSpec#timeout()}).
   */
  public static final class Builder {
    private String name = "node";
    private SnapshotManager manager;
    private KeepAlivePolicy keepAlivePolicy = KeepAlivePolicy.fixed(Duration.ofSeconds(60));
    private int maxInstances = 8;
    private long memoryBytes = hostMemoryBytes();
    private LongSupplier ticker = System::nanoTime;
    private ImageFunctions images;
    private LogStore logs;

    private Builder() {}

    /** Where this node's functions' output is kept; without it, the agent serves no logs. */
    public Builder logs(LogStore logs) {
      this.logs = logs;
      return this;
    }

    /** How this node turns images into functions; without it, it runs the built-ins only. */
    public Builder images(ImageFunctions images) {
      this.images = images;
      return this;
    }

    public Builder name(String name) {
      this.name = Objects.requireNonNull(name);
      return this;
    }

    public Builder manager(SnapshotManager manager) {
      this.manager = manager;
      return this;
    }

    /** How long an idle instance stays warm before it is stopped: a fixed window. */
    public Builder keepAlive(Duration keepAlive) {
      if (keepAlive.isNegative() || keepAlive.isZero()) {
        throw new IllegalArgumentException("keep-alive must be positive");
      }
      return keepAlivePolicy(KeepAlivePolicy.fixed(keepAlive));
    }

    /** How long idle instances stay warm, per revision (e.g. the hybrid histogram policy). */
    public Builder keepAlivePolicy(KeepAlivePolicy policy) {
      this.keepAlivePolicy = Objects.requireNonNull(policy);
      return this;
    }

    /** Instances this node runs at once; cold starts beyond it are refused with 503. */
    public Builder maxInstances(int maxInstances) {
      if (maxInstances < 1) {
        throw new IllegalArgumentException("maxInstances must be positive");
      }
      this.maxInstances = maxInstances;
      return this;
    }

    /** Memory of the node: deploys of functions that need more are refused. Default: the host's. */
    public Builder memoryBytes(long memoryBytes) {
      if (memoryBytes <= 0) {
        throw new IllegalArgumentException("memory must be positive");
      }
      this.memoryBytes = memoryBytes;
      return this;
    }

    private static long hostMemoryBytes() {
      return ((com.sun.management.OperatingSystemMXBean)
              java.lang.management.ManagementFactory.getOperatingSystemMXBean())
          .getTotalMemorySize();
    }

    /** Monotonic nanoseconds; injectable for tests of the keep-alive window. */
    public Builder ticker(LongSupplier ticker) {
      this.ticker = Objects.requireNonNull(ticker);
      return this;
    }

    public NodeAgent build() {
      return new NodeAgent(this);
    }
  }
}
