package dev.thaw.node.agent;

import dev.thaw.core.concurrent.DaemonThreads;
import dev.thaw.core.function.FunctionRequest;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.function.Revision;
import dev.thaw.core.lifecycle.KeepAlivePolicy;
import dev.thaw.node.logs.LogStore;
import dev.thaw.node.protocol.ImageDeployment;
import dev.thaw.node.protocol.InstanceInfo;
import dev.thaw.node.protocol.LogLine;
import dev.thaw.node.protocol.LogQuery;
import dev.thaw.node.protocol.NodeStatus;
import dev.thaw.node.protocol.Refused;
import dev.thaw.node.snapshot.SnapshotManager;
import dev.thaw.node.snapshot.fill.ManifestDigest;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The node agent's engine: deployed functions ({@link FunctionRegistry}), their instances ({@link
 * InstancePool}), invocations ({@link Invoker}) and what the node reports of itself ({@link
 * NodeReports}).
 *
 * <p>An instance serves one invocation at a time. An invocation takes an idle warm instance of its
 * revision, or cold-starts one through the {@link SnapshotManager}. A freshly booted instance is
 * snapshotted after its first answer (the answer is not delayed): the snapshot consumes it, and a
 * clone restored from the new snapshot joins the idle pool in its place. Idle instances stop after
 * the keep-alive window, so an unused function scales to zero; a function that does not answer
 * within its timeout loses its instance (see {@link Invoker}).
 */
public final class NodeAgent implements AutoCloseable {
  private final String name;
  private final SnapshotManager manager;
  private final int maxInstances;
  private final KeepAlives keepAlives;
  private final InstancePool pool;
  private final FunctionRegistry functions;
  private final Invoker invoker;
  private final NodeReports reports;
  private final StartTimes times;
  private final Prefetches prefetches;
  private final MadeManifests made = new MadeManifests();
  private final ScheduledExecutorService reaper =
      Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("thaw-agent-reaper"));
  private volatile boolean closed;

  private NodeAgent(Builder b) {
    this.name = b.name;
    this.manager = Objects.requireNonNull(b.manager, "manager");
    this.maxInstances = b.maxInstances;
    Optional<LogStore> logs = Optional.ofNullable(b.logs);
    this.keepAlives = new KeepAlives(b.keepAlivePolicy, b.ticker);
    this.pool = new InstancePool(name, maxInstances, b.ticker);
    this.functions =
        new FunctionRegistry(
            name, b.memoryBytes, Optional.ofNullable(b.images), pool, manager, logs);
    CloneWaits clones = new CloneWaits(b.ticker);
    this.times = new StartTimes();
    this.prefetches =
        b.prefetchMinute == null
            ? Prefetches.OFF
            : new Prefetcher(
                b.prefetchMinute,
                manager,
                r -> functions.get(r).isPresent(),
                pool::idleCount,
                times,
                b.meters,
                () -> b.ticker.getAsLong() / 1_000_000);
    this.invoker =
        new Invoker(
            name,
            maxInstances,
            functions,
            pool,
            keepAlives,
            manager,
            () -> closed,
            clones,
            times,
            prefetches,
            made);
    this.reports =
        new NodeReports(
            name,
            maxInstances,
            pool,
            functions,
            logs,
            () -> closed,
            clones,
            times,
            manager.mode(),
            made);
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
    functions.deploy(revision, function);
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
    return functions.deploy(revision, deployment);
  }

  /** Deployed functions by revision name. */
  public Map<String, FunctionSpec> functions() {
    return functions.all();
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
    return invoke(revision, request, Optional.empty());
  }

  /**
   * Like {@link #invoke(Revision, FunctionRequest)}, with the digest of the revision's snapshot
   * manifest as the gateway has it from the snapshot's maker: a cold start restoring from a peer
   * checks the peer's manifest against it instead of asking storage first.
   */
  public Invocation invoke(
      Revision revision, FunctionRequest request, Optional<ManifestDigest> manifestDigest) {
    return invoker.invoke(revision, request, manifestDigest);
  }

  /**
   * Forgets {@code revision}: later invocations of it are refused, its idle instances stop now and
   * its busy ones when they answer, and its snapshot is removed (locally and, in remote mode, from
   * remote storage), so that a function deployed later under the same name starts afresh.
   *
   * @return whether it was deployed
   */
  public boolean undeploy(Revision revision) {
    times.forget(revision);
    prefetches.forget(revision);
    made.forget(revision);
    return functions.undeploy(revision);
  }

  /**
   * The lines {@code revision}'s instances on this node wrote that {@code query} asks for, oldest
   * first; none when this node keeps no logs.
   *
   * @throws Refused UNKNOWN_REVISION when the revision is not deployed here
   */
  public List<LogLine> logs(Revision revision, LogQuery query) {
    return reports.logs(revision, query);
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
    return reports.instances();
  }

  /** What {@code GET /health} reports. */
  public NodeStatus status() {
    return reports.status();
  }

  /** Instances running or starting now, counted against {@link #maxInstances()}. */
  public int activeInstances() {
    return pool.active();
  }

  /**
   * Snapshots this node fetched ahead of predicted cold starts ({@link Builder#prefetchPredicted}):
   * made, used by a cold start, and wasted (evicted unused); all zero with prefetch off.
   */
  public PrefetchCounts prefetches() {
    return prefetches.counts();
  }

  /** Stops every instance. */
  @Override
  public void close() {
    closed = true;
    reaper.shutdownNow();
    prefetches.close();
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
    private Duration prefetchMinute;
    private MeterRegistry meters = new SimpleMeterRegistry();

    private Builder() {}

    /**
     * Fetches snapshots from remote storage into the cache ahead of the cold starts predicted from
     * this node's arrivals ({@link Prefetcher}), the predictor counting in minutes of {@code
     * minute} (60 s; shorter for a trace replayed faster than real time). Default: no prefetch.
     */
    public Builder prefetchPredicted(Duration minute) {
      if (minute.toMillis() < 1) {
        throw new IllegalArgumentException("a prefetch minute lasts at least 1 ms: " + minute);
      }
      this.prefetchMinute = minute;
      return this;
    }

    /** Where the agent's own meters go (its prefetches'); default a registry of its own. */
    public Builder meters(MeterRegistry meters) {
      this.meters = Objects.requireNonNull(meters);
      return this;
    }

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
              ManagementFactory.getOperatingSystemMXBean())
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
