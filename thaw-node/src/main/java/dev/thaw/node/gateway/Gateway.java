package dev.thaw.node.gateway;

import dev.thaw.core.concurrent.DaemonThreads;
import dev.thaw.core.function.FunctionRequest;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.function.Revision;
import dev.thaw.core.placement.NodeScore;
import dev.thaw.core.placement.NodeState;
import dev.thaw.core.placement.PlacementScorer;
import dev.thaw.http.BearerToken;
import dev.thaw.node.protocol.AgentClient;
import dev.thaw.node.protocol.FunctionInfo;
import dev.thaw.node.protocol.ImageDeployment;
import dev.thaw.node.protocol.InstanceInfo;
import dev.thaw.node.protocol.LogQuery;
import dev.thaw.node.protocol.NodeStatus;
import dev.thaw.node.protocol.Refused;
import dev.thaw.node.protocol.Served;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.HttpClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The front door: routes each invocation to a node with a warm instance of its revision, or places
 * a cold start with the {@link PlacementScorer}. Nodes are polled for health, load, warm instances
 * and cached snapshots; a node that fails a poll or a call is out of placement until it answers
 * again.
 */
public final class Gateway implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Gateway.class);

  private final Map<String, AgentClient> nodes;
  private final ClusterLogs logs;
  private final HttpClient http;
  private final PlacementScorer scorer;
  private final Duration invokeTimeout;
  private final Map<String, View> views = new ConcurrentHashMap<>();
  private final java.util.Random random;

  private final InvocationQueue queue;
  private final Deployments deployments;
  private final ScheduledExecutorService poller =
      Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("thaw-gateway-health"));

  /** What the gateway last saw of a node. */
  private record View(
      boolean healthy, int active, int capacity, Set<String> cached, Map<String, Integer> warm) {
    static final View DOWN = new View(false, 0, 0, Set.of(), Map.of());

    NodeState state(String node) {
      return new NodeState(node, healthy, active, capacity, cached);
    }
  }

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
      return new String(content, java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  private Gateway(Builder b) {
    this.http = AgentClient.newHttp();
    Map<String, AgentClient> clients = new LinkedHashMap<>();
    b.nodes.forEach((name, uri) -> clients.put(name, new AgentClient(uri, this.http, b.token)));
    this.nodes = Map.copyOf(clients);
    this.logs = new ClusterLogs(clients);
    this.scorer = b.scorer;
    this.invokeTimeout = b.invokeTimeout;
    this.random = new java.util.Random(b.seed);
    this.queue = new InvocationQueue(b.queueLength, b.queueTimeout, b.meters);
    this.deployments = b.deployments;
    nodes.keySet().forEach(n -> views.put(n, View.DOWN));
    pollAll();
    long period = b.healthInterval.toMillis();
    poller.scheduleWithFixedDelay(this::pollAll, period, period, TimeUnit.MILLISECONDS);
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
    Map<String, CompletableFuture<Deployed>> pending = new LinkedHashMap<>();
    nodes.forEach(
        (name, agent) ->
            pending.put(
                name,
                CompletableFuture.supplyAsync(
                    () -> deployOn(name, agent, revision, deployment, timeout))));
    Map<String, Deployed> out = new LinkedHashMap<>();
    pending.forEach((name, f) -> out.put(name, f.join()));
    if (out.values().stream().noneMatch(d -> d.function() != null)) {
      Refused.Kind kind =
          out.values().stream().anyMatch(d -> d.refused())
              ? Refused.Kind.INVALID
              : Refused.Kind.FAILED;
      String why =
          out.entrySet().stream()
              .map(e -> e.getKey() + ": " + e.getValue().error())
              .collect(java.util.stream.Collectors.joining("; "));
      throw new Refused(kind, "no node deployed " + revision + " (" + why + ")", null);
    }
    out.values().stream()
        .map(Deployed::function)
        .filter(Objects::nonNull)
        .findFirst()
        .ifPresent(f -> deployments.put(revision, deployment, f));
    return out;
  }

  /**
   * Deploys again every revision the {@link Deployments} recorded (a restarted gateway), each given
   * {@code timeout}.
   *
   * @return each revision's outcome: empty when a node took it, else why none did
   */
  public Map<String, Optional<String>> redeployRecorded(Duration timeout) {
    Map<String, Optional<String>> out = new LinkedHashMap<>();
    for (Deployments.Entry e : deployments.all()) {
      try {
        deployEverywhere(Revision.of(e.revision()), e.deployment(), timeout);
        out.put(e.revision(), Optional.empty());
      } catch (Refused r) {
        out.put(e.revision(), Optional.of(r.getMessage()));
      }
    }
    return out;
  }

  /**
   * Forgets {@code revision}: the {@link Deployments} and every node that answers (their instances
   * of it stop).
   *
   * @return each node's outcome: whether it had the revision, or why it could not be asked
   * @throws Refused UNKNOWN_REVISION when neither the gateway nor any node knew it
   */
  public Map<String, String> delete(Revision revision) {
    boolean known = deployments.remove(revision);
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, AgentClient> n : nodes.entrySet()) {
      try {
        boolean had = n.getValue().undeploy(revision, Duration.ofSeconds(10));
        known |= had;
        out.put(n.getKey(), had ? "deleted" : "not deployed");
      } catch (IOException e) {
        log.warn("cannot delete {} on {}: {}", revision, n.getKey(), e.getMessage());
        out.put(n.getKey(), "unreachable: " + e.getMessage());
      }
    }
    if (!known) {
      throw new Refused(
          Refused.Kind.UNKNOWN_REVISION, "no function deployed as revision " + revision, null);
    }
    pollAll();
    return out;
  }

  /**
   * Every function the {@link Deployments} recorded, with where its snapshot is cached and its warm
   * instances, from a poll of every node made now.
   */
  public List<FunctionInfo> functions() {
    pollAll();
    List<FunctionInfo> out = new ArrayList<>();
    for (Deployments.Entry e : deployments.all()) {
      List<String> cachedOn = new ArrayList<>();
      int warm = 0;
      for (Map.Entry<String, View> v : new java.util.TreeMap<>(views).entrySet()) {
        if (v.getValue().cached().contains(e.revision())) {
          cachedOn.add(v.getKey());
        }
        warm += v.getValue().warm().getOrDefault(e.revision(), 0);
      }
      FunctionSpec f = e.function();
      out.add(
          new FunctionInfo(
              e.revision(),
              e.image().orElse(""),
              f.image() == null ? "" : f.image().digest(),
              f.memoryMib(),
              cachedOn,
              warm));
    }
    return out;
  }

  private static Deployed deployOn(
      String name, AgentClient agent, Revision revision, Object deployment, Duration timeout) {
    try {
      return new Deployed(agent.deployAny(revision, deployment, timeout), null, false);
    } catch (Refused e) {
      log.warn("{} refused {}: {}", name, revision, e.getMessage());
      return new Deployed(null, e.getMessage(), true);
    } catch (IOException e) {
      log.warn("cannot deploy {} on {}: {}", revision, name, e.getMessage());
      return new Deployed(null, e.getMessage(), false);
    }
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
   * the scorer ranks, trying the next one if a node is full. When every node is full, the
   * invocation waits in its revision's queue, as Knative's activator buffers a burst: it is retried
   * as soon as an invocation through this gateway finishes (an instance is idle again, or can make
   * room) and every {@link InvocationQueue#RETRY} meanwhile, until it is served or the queue
   * timeout passes.
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
    long t0 = System.nanoTime();
    try {
      return attempt(revision, request, t0);
    } catch (Refused e) {
      if (e.kind() != Refused.Kind.NO_CAPACITY || !queue.enabled()) {
        throw e;
      }
    }
    return queue.await(revision, t0, () -> attempt(revision, request, System.nanoTime()));
  }

  /** One pass over the nodes, best first; NO_CAPACITY when every node refuses for capacity. */
  private Result attempt(Revision revision, FunctionRequest request, long t0) {
    List<String> order = new ArrayList<>();
    views.entrySet().stream()
        .filter(e -> e.getValue().healthy() && e.getValue().warm().containsKey(revision.value()))
        .map(Map.Entry::getKey)
        .sorted()
        .forEach(order::add);
    for (NodeScore s : tiesShuffled(scorer.score(revision.value(), states()))) {
      if (!order.contains(s.node())) {
        order.add(s.node());
      }
    }
    if (order.isEmpty()) {
      // Every node looked full when last polled: the agents know better, ask the healthy ones.
      views.entrySet().stream()
          .filter(e -> e.getValue().healthy())
          .map(Map.Entry::getKey)
          .sorted()
          .forEach(order::add);
    }
    if (order.isEmpty()) {
      throw new Refused(
          Refused.Kind.NO_CAPACITY, "no node can take " + revision + ": every node is down", null);
    }
    Duration placement = Duration.ofNanos(System.nanoTime() - t0);
    String lastRefusal = "";
    for (String node : order) {
      AgentClient.Answer answer;
      try {
        answer = nodes.get(node).invoke(revision, request, agentTimeout(revision));
      } catch (IOException e) {
        views.put(node, View.DOWN);
        throw new Refused(
            Refused.Kind.FAILED, "node " + node + " failed during the invocation: " + e, e);
      }
      Optional<Refused.Kind> refusal = answer.refusal();
      if (refusal.isEmpty()) {
        remember(node, revision);
        // An instance is idle again: whoever waits may now be served.
        queue.wake();
        return new Result(
            answer.status(),
            answer.contentType(),
            answer.content(),
            answer.served().orElseThrow(),
            placement);
      }
      if (refusal.get() == Refused.Kind.TIMED_OUT) {
        // The agent measured the function's timeout and stopped the instance: its reason is the
        // caller's answer as it stands, and the freed slot may serve whoever waits.
        queue.wake();
        throw new Refused(Refused.Kind.TIMED_OUT, answer.error(), null);
      }
      if (refusal.get() != Refused.Kind.NO_CAPACITY) {
        throw new Refused(refusal.get(), "node " + node + ": " + answer.error(), null);
      }
      lastRefusal = answer.error();
    }
    throw new Refused(
        Refused.Kind.NO_CAPACITY, "no node can take " + revision + ": " + lastRefusal, null);
  }

  /**
   * How long to wait for an agent's answer: a cold start there ({@link Builder#invokeTimeout}),
   * then the function's own timeout, so that a function's timeout is reported by the agent that
   * measures it (504), never cut short here. A revision this gateway did not deploy may have any
   * timeout.
   */
  private Duration agentTimeout(Revision revision) {
    Duration function =
        deployments
            .get(revision)
            .map(e -> e.function().timeout())
            .orElse(Duration.ofSeconds(FunctionSpec.MAX_TIMEOUT_SECONDS));
    return invokeTimeout.plus(function);
  }

  /**
   * Shuffles runs of equal scores, as kube-scheduler picks at random among its best nodes:
   * otherwise every tie would go to the same node and locality would come from the tie-break.
   */
  private List<NodeScore> tiesShuffled(List<NodeScore> ranked) {
    List<NodeScore> out = new ArrayList<>(ranked.size());
    int i = 0;
    while (i < ranked.size()) {
      int j = i;
      while (j < ranked.size() && Math.abs(ranked.get(j).value() - ranked.get(i).value()) < 1e-9) {
        j++;
      }
      List<NodeScore> run = new ArrayList<>(ranked.subList(i, j));
      synchronized (random) {
        java.util.Collections.shuffle(run, random);
      }
      out.addAll(run);
      i = j;
    }
    return out;
  }

  /** Optimistic update between polls: the node now has an instance and soon a snapshot. */
  private void remember(String node, Revision revision) {
    views.computeIfPresent(
        node,
        (n, v) -> {
          Map<String, Integer> warm = new HashMap<>(v.warm());
          warm.putIfAbsent(revision.value(), 1);
          return new View(v.healthy(), v.active(), v.capacity(), v.cached(), Map.copyOf(warm));
        });
  }

  private List<NodeState> states() {
    List<NodeState> out = new ArrayList<>();
    views.forEach((n, v) -> out.add(v.state(n)));
    return out;
  }

  /** The current view of every node, for the gateway's API and tests. */
  /**
   * {@code revision}'s lines from every node that {@code query} asks for, after {@code cursor} (per
   * node; see {@link ClusterLogs}).
   */
  public ClusterLogs.Answer logs(Revision revision, LogQuery query, Map<String, Long> cursor) {
    return logs.read(revision, query, cursor);
  }

  public List<NodeState> nodes() {
    return states();
  }

  void pollAll() {
    nodes.forEach((name, agent) -> views.put(name, poll(name, agent)));
  }

  private View poll(String name, AgentClient agent) {
    try {
      NodeStatus status = agent.status();
      Map<String, Integer> warm = new HashMap<>();
      for (InstanceInfo i : agent.instances()) {
        if (!i.busy()) {
          warm.merge(i.revision(), 1, Integer::sum);
        }
      }
      return new View(
          true,
          status.activeInstances(),
          status.maxInstances(),
          Set.copyOf(agent.snapshots()),
          Map.copyOf(warm));
    } catch (IOException | RuntimeException e) {
      // A poll cut short by close() says nothing about the node.
      if (!poller.isShutdown() && views.getOrDefault(name, View.DOWN).healthy()) {
        log.warn("node {} failed its health check: {}", name, e.getMessage());
      }
      return View.DOWN;
    }
  }

  @Override
  public void close() {
    poller.shutdownNow();
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

    private Builder() {}

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
