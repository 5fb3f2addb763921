package dev.thaw.node.gateway;

import dev.thaw.core.concurrent.DaemonThreads;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.placement.NodeScore;
import dev.thaw.core.placement.NodeState;
import dev.thaw.core.placement.PlacementScorer;
import dev.thaw.node.http.HttpJson;
import dev.thaw.node.http.HttpStatusException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * The front door: routes each invocation to a node with a warm instance of its revision, or places
 * a cold start with the {@link PlacementScorer}. Nodes are polled for health, load, warm instances
 * and cached snapshots; a node that fails a poll or a call is out of placement until it answers
 * again.
 */
public final class Gateway implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Gateway.class);

  private final Map<String, URI> nodes;
  private final PlacementScorer scorer;
  private final Duration invokeTimeout;
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(2))
          .build();
  private final Map<String, View> views = new ConcurrentHashMap<>();
  private final java.util.Random random;
  private final ScheduledExecutorService poller =
      Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("thaw-gateway-health"));

  /** What the gateway last saw of a node. */
  private record View(
      boolean healthy, int active, int capacity, Set<String> cached, Set<String> warm) {
    static final View DOWN = new View(false, 0, 0, Set.of(), Set.of());

    NodeState state(String node) {
      return new NodeState(node, healthy, active, capacity, cached);
    }
  }

  /**
   * An invocation's answer and where it ran.
   *
   * @param node the node that served it
   * @param status the function's status
   * @param body the function's answer
   * @param headers the agent's {@code X-Thaw-*} headers
   */
  public record Result(String node, int status, String body, Map<String, String> headers) {}

  private Gateway(Builder b) {
    this.nodes = Map.copyOf(b.nodes);
    this.scorer = b.scorer;
    this.invokeTimeout = b.invokeTimeout;
    this.random = new java.util.Random(b.seed);
    nodes.keySet().forEach(n -> views.put(n, View.DOWN));
    pollAll();
    long period = b.healthInterval.toMillis();
    poller.scheduleWithFixedDelay(this::pollAll, period, period, TimeUnit.MILLISECONDS);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Deploys a revision on every node that answers. */
  public void deploy(String revision, FunctionSpec function) {
    String body = HttpJson.JSON.writeValueAsString(function);
    for (var node : nodes.entrySet()) {
      try {
        send(
            node.getValue().resolve("/functions/" + revision), "PUT", body, Duration.ofSeconds(10));
      } catch (IOException e) {
        log.warn("cannot deploy {} on {}: {}", revision, node.getKey(), e.getMessage());
      }
    }
  }

  /**
   * Invokes {@code revision}: on a node with a warm instance if there is one, else on the best node
   * the scorer ranks, trying the next one if a node is full.
   *
   * @throws HttpStatusException 503 when no node can take it, 502 when the chosen node fails
   */
  public Result invoke(String revision, String path) {
    long t0 = System.nanoTime();
    List<String> order = new ArrayList<>();
    views.entrySet().stream()
        .filter(e -> e.getValue().healthy() && e.getValue().warm().contains(revision))
        .map(Map.Entry::getKey)
        .sorted()
        .forEach(order::add);
    for (NodeScore s : tiesShuffled(scorer.score(revision, states()))) {
      if (!order.contains(s.node())) {
        order.add(s.node());
      }
    }
    if (order.isEmpty()) {
      throw new HttpStatusException(
          503, "no node can take " + revision + ": every node is down or at capacity", null);
    }
    String placementMs =
        String.format(java.util.Locale.ROOT, "%.3f", (System.nanoTime() - t0) / 1e6);
    String lastRefusal = "";
    for (String node : order) {
      URI uri = nodes.get(node).resolve("/functions/" + revision + "/invoke?path=" + path);
      HttpResponse<String> r;
      try {
        r = send(uri, "POST", "", invokeTimeout);
      } catch (IOException e) {
        views.put(node, View.DOWN);
        throw new HttpStatusException(
            502, "node " + node + " failed during the invocation: " + e, e);
      }
      if (r.statusCode() == 503) {
        lastRefusal = r.body();
        continue;
      }
      Map<String, String> headers = new LinkedHashMap<>();
      r.headers()
          .map()
          .forEach(
              (k, v) -> {
                if (k.toLowerCase(java.util.Locale.ROOT).startsWith("x-thaw")) {
                  headers.put(k.toLowerCase(java.util.Locale.ROOT), v.get(0));
                }
              });
      headers.put("x-thaw-placement-ms", placementMs);
      remember(node, revision);
      return new Result(node, r.statusCode(), r.body(), headers);
    }
    throw new HttpStatusException(503, "no node can take " + revision + ": " + lastRefusal, null);
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
  private void remember(String node, String revision) {
    views.computeIfPresent(
        node,
        (n, v) -> {
          Set<String> warm = new HashSet<>(v.warm());
          warm.add(revision);
          return new View(v.healthy(), v.active(), v.capacity(), v.cached(), Set.copyOf(warm));
        });
  }

  private List<NodeState> states() {
    List<NodeState> out = new ArrayList<>();
    views.forEach((n, v) -> out.add(v.state(n)));
    return out;
  }

  /** The current view of every node, for the gateway's API and tests. */
  public List<NodeState> nodes() {
    return states();
  }

  void pollAll() {
    nodes.forEach((name, uri) -> views.put(name, poll(name, uri)));
  }

  private View poll(String name, URI uri) {
    try {
      JsonNode health = HttpJson.JSON.readTree(get(uri.resolve("/health")));
      JsonNode instances = HttpJson.JSON.readTree(get(uri.resolve("/instances")));
      JsonNode snapshots = HttpJson.JSON.readTree(get(uri.resolve("/snapshots")));
      Set<String> warm = new HashSet<>();
      instances.forEach(
          i -> {
            if (!i.path("busy").asBoolean()) {
              warm.add(i.path("revision").asString());
            }
          });
      Set<String> cached = new HashSet<>();
      snapshots.forEach(s -> cached.add(s.asString()));
      return new View(
          true,
          health.path("activeInstances").asInt(),
          health.path("maxInstances").asInt(),
          cached,
          warm);
    } catch (IOException | RuntimeException e) {
      // A poll cut short by close() says nothing about the node.
      if (!poller.isShutdown() && views.getOrDefault(name, View.DOWN).healthy()) {
        log.warn("node {} failed its health check: {}", name, e.getMessage());
      }
      return View.DOWN;
    }
  }

  private String get(URI uri) throws IOException {
    HttpResponse<String> r = send(uri, "GET", null, Duration.ofSeconds(2));
    if (r.statusCode() != 200) {
      throw new IOException(uri + " answered " + r.statusCode());
    }
    return r.body();
  }

  private HttpResponse<String> send(URI uri, String method, String body, Duration timeout)
      throws IOException {
    HttpRequest.BodyPublisher publisher =
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body);
    HttpRequest request =
        HttpRequest.newBuilder(uri)
            .method(method, publisher)
            .header("Content-Type", "application/json")
            .timeout(timeout)
            .build();
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  @Override
  public void close() {
    poller.shutdownNow();
  }

  /** Builder; defaults: snapshot-aware placement, health every 500 ms, 150 s invocations. */
  public static final class Builder {
    private final Map<String, URI> nodes = new LinkedHashMap<>();
    private PlacementScorer scorer = PlacementScorer.snapshotAware(0.5);
    private Duration healthInterval = Duration.ofMillis(500);
    private Duration invokeTimeout = Duration.ofSeconds(150);
    private long seed = System.nanoTime();

    private Builder() {}

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

    /** Upper bound of one invocation including a cold start; a dead node fails sooner. */
    public Builder invokeTimeout(Duration invokeTimeout) {
      this.invokeTimeout = Objects.requireNonNull(invokeTimeout);
      return this;
    }

    public Gateway build() {
      if (nodes.isEmpty()) {
        throw new IllegalArgumentException("a gateway needs at least one node");
      }
      return new Gateway(this);
    }
  }
}
