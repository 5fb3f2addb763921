package dev.thaw.node.gateway;

import dev.thaw.core.function.FunctionRequest;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.function.Revision;
import dev.thaw.core.placement.ExpectedStart;
import dev.thaw.core.placement.NodeState;
import dev.thaw.core.placement.PlacementScorer;
import dev.thaw.core.placement.StartPriors;
import dev.thaw.http.BearerToken;
import dev.thaw.node.protocol.AgentClient;
import dev.thaw.node.protocol.FunctionInfo;
import dev.thaw.node.protocol.ImageDeployment;
import dev.thaw.node.protocol.LogQuery;
import dev.thaw.node.protocol.Refused;
import dev.thaw.node.protocol.Served;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import org.eclipse.jetty.client.HttpClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The front door of a cluster: deploys revisions on every node ({@link Rollout}), sends each
 * invocation to a node ({@link InvocationRouter}: a warm instance, else a cold start placed by the
 * {@link PlacementScorer}, else a wait in the queue) from what it knows of the nodes ({@link
 * NodeViews}: health, load, warm instances and cached snapshots, polled).
 */
public final class Gateway implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Gateway.class);

  private final HttpClient http;
  private final NodeViews views;
  private final Deployments deployments;
  private final Rollout rollout;
  private final InvocationRouter router;
  private final ClusterLogs logs;
  private final ClusterCaches caches;

  /**
   * An invocation's answer and where it ran.
   *
   * @param status the function's status
   * @param contentType the function's content type; empty when it named none
   * @param content the function's answer, as it sent it
   * @param served where and how it ran, as its agent reported
   * @param placement time the gateway took to rank the nodes
   */
  public record Result(
      int status, String contentType, byte[] content, Served served, Duration placement) {
    /** The node that served it. */
    public String node() {
      return served.node();
    }

    /** The answer as UTF-8 text. */
    public String body() {
      return new String(content, StandardCharsets.UTF_8);
    }
  }

  private Gateway(Builder b) {
    this.http = AgentClient.newHttp();
    Map<String, AgentClient> clients = new LinkedHashMap<>();
    b.nodes.forEach((name, uri) -> clients.put(name, new AgentClient(uri, this.http, b.token)));
    Map<String, AgentClient> nodes = Map.copyOf(clients);
    this.deployments = b.deployments;
    this.views = NodeViews.start(nodes, b.healthInterval);
    this.rollout = new Rollout(nodes, deployments);
    this.router =
        new InvocationRouter(
            nodes,
            views,
            new Placement(
                b.scorer,
                new Random(b.seed),
                b.expectedTime ? Optional.of(new ExpectedStart(b.priors)) : Optional.empty()),
            new InvocationQueue(b.queueLength, b.queueTimeout, b.meters),
            deployments,
            b.invokeTimeout);
    this.logs = new ClusterLogs(clients);
    this.caches = new ClusterCaches(nodes);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Deploys a revision on every node that answers. */
  public void deploy(Revision revision, FunctionSpec function) {
    try {
      deployEverywhere(revision, function, Duration.ofSeconds(10));
    } catch (Refused e) {
      log.warn("cannot deploy {}: {}", revision, e.getMessage());
    }
  }

  /**
   * Deploys {@code deployment} (a {@link FunctionSpec} or an {@link ImageDeployment}) as {@code
   * revision} on every node at once, each given {@code timeout} (an image is pulled and built on
   * each node that lacks it).
   *
   * @return each node's outcome: the function it deployed, or why it did not
   * @throws Refused when no node took it: INVALID when a node refused the deployment itself (its
   *     reason), FAILED otherwise
   */
  public Map<String, Deployed> deployEverywhere(
      Revision revision, Object deployment, Duration timeout) {
    return rollout.deploy(revision, deployment, timeout);
  }

  /**
   * Deploys again every revision the {@link Deployments} recorded (a restarted gateway), each given
   * {@code timeout}.
   *
   * @return each revision's outcome: empty when a node took it, else why none did
   */
  public Map<String, Optional<String>> redeployRecorded(Duration timeout) {
    return rollout.redeployRecorded(timeout);
  }

  /**
   * Forgets {@code revision}: the {@link Deployments} and every node that answers (their instances
   * of it stop).
   *
   * @return each node's outcome: whether it had the revision, or why it could not be asked
   * @throws Refused UNKNOWN_REVISION when neither the gateway nor any node knew it
   */
  public Map<String, String> delete(Revision revision) {
    Map<String, String> out = rollout.delete(revision);
    views.pollAll();
    return out;
  }

  /**
   * Every function the {@link Deployments} recorded, with where its snapshot is cached and its warm
   * instances, from a poll of every node made now.
   */
  public List<FunctionInfo> functions() {
    views.pollAll();
    return FunctionListing.of(deployments.all(), views.all());
  }

  /**
   * One node's outcome of a deploy.
   *
   * @param function what it deployed; null when it did not
   * @param error why it did not; null when it did
   * @param refused whether the node refused the deployment itself (not a failure to reach it)
   */
  public record Deployed(FunctionSpec function, String error, boolean refused) {}

  /**
   * Invokes {@code revision}: on a node with a warm instance if there is one, else on the best node
   * the scorer ranks, else after a wait in its revision's queue (see {@link InvocationRouter}).
   *
   * @throws Refused NO_CAPACITY when the revision's queue is full or the queue timeout passed;
   *     FAILED when the chosen node fails; TIMED_OUT when the function did not answer within its
   *     timeout; the agent's own refusal otherwise (an unknown revision)
   */
  public Result invoke(Revision revision, String path) {
    FunctionRequest request;
    try {
      request = FunctionRequest.get(path);
    } catch (IllegalArgumentException e) {
      throw new Refused(Refused.Kind.INVALID, e.getMessage(), e);
    }
    return invoke(revision, request);
  }

  /**
   * Invokes {@code revision} with {@code request}'s method, path, headers and body, as {@link
   * #invoke(Revision, String)} places it.
   */
  public Result invoke(Revision revision, FunctionRequest request) {
    return router.invoke(revision, request);
  }

  /**
   * {@code revision}'s lines from every node that {@code query} asks for, after {@code cursor} (per
   * node; see {@link ClusterLogs}).
   */
  public ClusterLogs.Answer logs(Revision revision, LogQuery query, Map<String, Long> cursor) {
    return logs.read(revision, query, cursor);
  }

  /** Every node's snapshot cache, asked now. */
  ClusterCaches.Answer caches() {
    return caches.read();
  }

  /** What the gateway last saw of every node, as placement sees it. */
  public List<NodeState> nodes() {
    return views.states();
  }

  @Override
  public void close() {
    views.close();
    AgentClient.stop(http);
  }

  /**
   * Builder; defaults: snapshot-aware placement, health every 500 ms, 150 s cold starts, queues of
   * 100 invocations per revision waiting up to 60 s.
   */
  public static final class Builder {
    private final Map<String, URI> nodes = new LinkedHashMap<>();
    private PlacementScorer scorer = PlacementScorer.snapshotAware(0.5);
    private Duration healthInterval = Duration.ofMillis(500);
    private Duration invokeTimeout = Duration.ofSeconds(150);
    private long seed = System.nanoTime();
    private int queueLength = 100;
    private Duration queueTimeout = Duration.ofSeconds(60);
    private MeterRegistry meters = new SimpleMeterRegistry();
    private Deployments deployments = Deployments.inMemory();
    private BearerToken token;
    private boolean expectedTime;
    private StartPriors priors = StartPriors.DEFAULT;

    private Builder() {}

    /**
     * Places by expected time to serve ({@link ExpectedStart}, the {@code expected-time} policy)
     * instead of by the scorer alone; {@code priors} are what it assumes before anything is
     * measured.
     */
    public Builder expectedTime(StartPriors priors) {
      this.expectedTime = true;
      this.priors = Objects.requireNonNull(priors);
      return this;
    }

    /** The agents' management token, sent with every request to them (required). */
    public Builder token(BearerToken token) {
      this.token = Objects.requireNonNull(token);
      return this;
    }

    /** Where deployments are recorded (default: in memory only). */
    public Builder deployments(Deployments deployments) {
      this.deployments = Objects.requireNonNull(deployments);
      return this;
    }

    /**
     * How many invocations of one revision may wait for capacity (0: none wait, a full cluster
     * refuses at once). Default 100.
     */
    public Builder queueLength(int queueLength) {
      if (queueLength < 0) {
        throw new IllegalArgumentException("queue length must not be negative");
      }
      this.queueLength = queueLength;
      return this;
    }

    /** How long a queued invocation may wait before it is refused. Default 60 s. */
    public Builder queueTimeout(Duration queueTimeout) {
      if (queueTimeout.isNegative()) {
        throw new IllegalArgumentException("queue timeout must not be negative");
      }
      this.queueTimeout = queueTimeout;
      return this;
    }

    /** Where the queue's meters go ({@code thaw.gateway.queue.*}). */
    public Builder meters(MeterRegistry meters) {
      this.meters = Objects.requireNonNull(meters);
      return this;
    }

    /** Seed of the tie-breaking among equally scored nodes, for reproducible runs. */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    public Builder node(String name, URI agent) {
      nodes.put(Objects.requireNonNull(name), Objects.requireNonNull(agent));
      return this;
    }

    public Builder scorer(PlacementScorer scorer) {
      this.scorer = Objects.requireNonNull(scorer);
      return this;
    }

    public Builder healthInterval(Duration healthInterval) {
      this.healthInterval = Objects.requireNonNull(healthInterval);
      return this;
    }

    /**
     * How long a node may take to start an instance for an invocation; the gateway waits that long
     * plus the function's own timeout for the answer. A dead node fails sooner.
     */
    public Builder invokeTimeout(Duration invokeTimeout) {
      this.invokeTimeout = Objects.requireNonNull(invokeTimeout);
      return this;
    }

    public Gateway build() {
      if (nodes.isEmpty()) {
        throw new IllegalArgumentException("a gateway needs at least one node");
      }
      if (token == null) {
        throw new IllegalArgumentException("a gateway needs the agents' token");
      }
      return new Gateway(this);
    }
  }
}
