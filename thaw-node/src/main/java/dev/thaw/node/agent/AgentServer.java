package dev.thaw.node.agent;

import static dev.thaw.node.http.HttpJson.json;
import static dev.thaw.node.http.HttpJson.send;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.function.Revision;
import dev.thaw.node.http.HttpJson;
import dev.thaw.node.protocol.Refused;
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
 * decides. The records it serves are those of {@code dev.thaw.node.protocol}, which {@link
 * dev.thaw.node.protocol.AgentClient} reads; a refusal's kind becomes its status here.
 *
 * <pre>
 *   GET  /health                              a NodeStatus
 *   PUT  /functions/{revision}                body: a FunctionSpec as JSON; deploys it
 *   GET  /functions                           deployed revisions and their specs
 *   POST /functions/{revision}/invoke[?path=/x] invokes; the function's answer, with where and
 *                                             how it ran in X-Thaw-* headers (see Served)
 *   GET  /instances                           running instances (InstanceInfo)
 *   POST /functions/{revision}/instances      starts an instance (restore or boot) and leaves
 *                                             it warm; same headers as invoke
 *   DELETE /functions/{revision}/instances    stops the revision's idle instances
 *   GET  /snapshots                           revisions in the local snapshot cache
 *   GET  /metrics                             Prometheus text format
 * </pre>
 */
public final class AgentServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AgentServer.class);
  private static final JsonMapper JSON = dev.thaw.node.protocol.AgentClient.JSON;
  private static final Pattern FUNCTION = Pattern.compile("/functions/([^/]+)");
  private static final Pattern INVOKE = Pattern.compile("/functions/([^/]+)/invoke");
  private static final Pattern INSTANCES = Pattern.compile("/functions/([^/]+)/instances");

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
        json(exchange, 200, agent.status());
      } else if (method.equals("POST") && invoke.matches()) {
        invoke(exchange, HttpJson.revision(invoke.group(1)));
      } else if (method.equals("POST") && INSTANCES.matcher(path).matches()) {
        Matcher m = INSTANCES.matcher(path);
        m.matches();
        drain(exchange.getRequestBody());
        respond(exchange, agent.invoke(HttpJson.revision(m.group(1)), "/health"));
      } else if (method.equals("DELETE") && INSTANCES.matcher(path).matches()) {
        Matcher m = INSTANCES.matcher(path);
        m.matches();
        json(exchange, 200, Map.of("stopped", agent.stopIdle(HttpJson.revision(m.group(1)))));
      } else if (method.equals("PUT") && function.matches()) {
        deploy(exchange, HttpJson.revision(function.group(1)));
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
    } catch (Refused e) {
      json(exchange, Refused.httpStatus(e.kind()), Map.of("error", e.getMessage()));
    } catch (RuntimeException e) {
      log.error("request {} failed", exchange.getRequestURI(), e);
      json(exchange, 500, Map.of("error", String.valueOf(e.getMessage())));
    } finally {
      exchange.close();
    }
  }

  private void invoke(HttpExchange exchange, Revision revision) throws IOException {
    drain(exchange.getRequestBody());
    String query = exchange.getRequestURI().getQuery();
    String path = query != null && query.startsWith("path=/") ? query.substring(5) : "/";
    respond(exchange, agent.invoke(revision, path));
  }

  private void respond(HttpExchange exchange, Invocation result) throws IOException {
    result.served().writeTo(exchange.getResponseHeaders()::add);
    send(exchange, result.status(), "application/json", result.body());
  }

  private void deploy(HttpExchange exchange, Revision revision) throws IOException {
    FunctionSpec spec;
    try {
      spec = JSON.readValue(exchange.getRequestBody(), FunctionSpec.class);
    } catch (JacksonException e) {
      throw new Refused(
          Refused.Kind.INVALID, "invalid function spec: " + e.getOriginalMessage(), e);
    }
    agent.deploy(revision, spec);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("revision", revision.value());
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
