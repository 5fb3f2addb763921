package dev.thaw.node.agent;

import static dev.thaw.node.http.HttpJson.json;
import static dev.thaw.node.http.HttpJson.send;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.node.http.HttpStatusException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * The agent's HTTP API, on 127.0.0.1 only. The HTTP layer only translates; {@link NodeAgent}
 * decides.
 *
 * <pre>
 *   GET  /health                              {"status":"ok","node":…}
 *   PUT  /functions/{revision}                body: a FunctionSpec as JSON; deploys it
 *   GET  /functions                           deployed revisions and their specs
 *   POST /functions/{revision}/invoke[?path=/x] invokes; headers X-Thaw-Start: cold|warm,
 *                                             X-Thaw-Source, X-Thaw-Instance, X-Thaw-Node,
 *                                             X-Thaw-Fallback (why a snapshot was not used)
 *   GET  /instances                           running instances
 *   POST /functions/{revision}/instances      starts an instance (restore or boot) and leaves
 *                                             it warm; same headers as invoke
 *   DELETE /functions/{revision}/instances    stops the revision's idle instances
 *   GET  /snapshots                           revisions in the local snapshot cache
 *   GET  /metrics                             Prometheus text format
 * </pre>
 */
public final class AgentServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AgentServer.class);
  private static final JsonMapper JSON = dev.thaw.node.http.HttpJson.JSON;
  private static final Pattern FUNCTION = Pattern.compile("/functions/([a-z0-9][a-z0-9.-]*)");
  private static final Pattern INVOKE = Pattern.compile("/functions/([a-z0-9][a-z0-9.-]*)/invoke");
  private static final Pattern INSTANCES =
      Pattern.compile("/functions/([a-z0-9][a-z0-9.-]*)/instances");

  private final NodeAgent agent;
  private final Supplier<Object> snapshots;
  private final Supplier<String> metrics;
  private final HttpServer server;
  private final ExecutorService workers = Executors.newCachedThreadPool();

  private AgentServer(
      NodeAgent agent, int port, Supplier<Object> snapshots, Supplier<String> metrics)
      throws IOException {
    this.agent = agent;
    this.snapshots = snapshots;
    this.metrics = metrics;
    this.server =
        dev.thaw.core.http.HttpServers.create(new InetSocketAddress("127.0.0.1", port), 64);
    server.createContext("/", this::handle);
    server.setExecutor(workers);
  }

  /** Starts serving {@code agent} on 127.0.0.1:{@code port} (0: any free port). */
  public static AgentServer start(
      NodeAgent agent, int port, Supplier<Object> snapshots, Supplier<String> metrics)
      throws IOException {
    AgentServer s = new AgentServer(agent, port, snapshots, metrics);
    s.server.start();
    return s;
  }

  public URI uri() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  private void handle(HttpExchange exchange) throws IOException {
    try {
      String method = exchange.getRequestMethod();
      String path = exchange.getRequestURI().getPath();
      Matcher invoke = INVOKE.matcher(path);
      Matcher function = FUNCTION.matcher(path);
      if (method.equals("GET") && path.equals("/health")) {
        json(
            exchange,
            200,
            Map.of(
                "status", "ok",
                "node", agent.name(),
                "maxInstances", agent.maxInstances(),
                "activeInstances", agent.activeInstances()));
      } else if (method.equals("POST") && invoke.matches()) {
        invoke(exchange, invoke.group(1));
      } else if (method.equals("POST") && INSTANCES.matcher(path).matches()) {
        Matcher m = INSTANCES.matcher(path);
        m.matches();
        drain(exchange.getRequestBody());
        respond(exchange, agent.invoke(m.group(1), "/health"));
      } else if (method.equals("DELETE") && INSTANCES.matcher(path).matches()) {
        Matcher m = INSTANCES.matcher(path);
        m.matches();
        json(exchange, 200, Map.of("stopped", agent.stopIdle(m.group(1))));
      } else if (method.equals("PUT") && function.matches()) {
        deploy(exchange, function.group(1));
      } else if (method.equals("GET") && path.equals("/functions")) {
        json(exchange, 200, agent.functions());
      } else if (method.equals("GET") && path.equals("/instances")) {
        json(exchange, 200, agent.instances());
      } else if (method.equals("GET") && path.equals("/snapshots")) {
        json(exchange, 200, snapshots.get());
      } else if (method.equals("GET") && path.equals("/metrics")) {
        send(exchange, 200, "text/plain; version=0.0.4", metrics.get());
      } else {
        json(exchange, 404, Map.of("error", "no such endpoint: " + method + " " + path));
      }
    } catch (HttpStatusException e) {
      json(exchange, e.status(), Map.of("error", e.getMessage()));
    } catch (RuntimeException e) {
      log.error("request {} failed", exchange.getRequestURI(), e);
      json(exchange, 500, Map.of("error", String.valueOf(e.getMessage())));
    } finally {
      exchange.close();
    }
  }

  private void invoke(HttpExchange exchange, String revision) throws IOException {
    drain(exchange.getRequestBody());
    String query = exchange.getRequestURI().getQuery();
    String path = query != null && query.startsWith("path=/") ? query.substring(5) : "/";
    respond(exchange, agent.invoke(revision, path));
  }

  private void respond(HttpExchange exchange, Invocation result) throws IOException {
    var headers = exchange.getResponseHeaders();
    headers.add("X-Thaw-Node", agent.name());
    headers.add("X-Thaw-Instance", result.instance());
    headers.add("X-Thaw-Start", result.coldStart().isPresent() ? "cold" : "warm");
    result
        .coldStart()
        .ifPresent(
            c -> {
              headers.add("X-Thaw-Source", c.source().name().toLowerCase(java.util.Locale.ROOT));
              headers.add("X-Thaw-Fetch-Ms", Long.toString(c.fetch().toMillis()));
              headers.add("X-Thaw-Startup-Ms", Long.toString(c.startup().toMillis()));
              // Why a snapshot path was abandoned for a boot: one line, printable ASCII only.
              c.fallback()
                  .map(why -> why.lines().findFirst().orElse("").replaceAll("[^\\x20-\\x7e]", "?"))
                  .ifPresent(why -> headers.add("X-Thaw-Fallback", why));
            });
    headers.add("X-Thaw-Latency-Ms", Long.toString(result.latency().toMillis()));
    send(exchange, result.status(), "application/json", result.body());
  }

  private void deploy(HttpExchange exchange, String revision) throws IOException {
    FunctionSpec spec;
    try {
      spec = JSON.readValue(exchange.getRequestBody(), FunctionSpec.class);
    } catch (JacksonException e) {
      throw new HttpStatusException(400, "invalid function spec: " + e.getOriginalMessage(), e);
    }
    agent.deploy(revision, spec);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("revision", revision);
    body.put("function", spec);
    json(exchange, 200, body);
  }

  private static void drain(InputStream in) throws IOException {
    in.transferTo(java.io.OutputStream.nullOutputStream());
  }

  @Override
  public void close() {
    server.stop(0);
    workers.shutdownNow();
  }
}
