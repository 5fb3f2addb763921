package dev.thaw.node.gateway;

import dev.thaw.core.function.Revision;
import dev.thaw.http.HttpAnswer;
import dev.thaw.http.HttpCall;
import dev.thaw.http.HttpEdge;
import dev.thaw.node.http.Edges;
import dev.thaw.node.protocol.DeployBody;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The gateway's HTTP API on 127.0.0.1, served by the {@link HttpEdge}.
 *
 * <pre>
 *   PUT  /functions/{revision}                   deploys on every node: a FunctionSpec or an
 *                                                ImageDeployment (as the agent's API); each
 *                                                node's outcome
 *   POST /functions/{revision}/invoke[?path=/x]   the function's answer; X-Thaw-* headers
 *                                                say where and how it ran
 *   GET  /nodes                                  the gateway's view of every node
 *   GET  /health
 * </pre>
 */
public final class GatewayServer implements AutoCloseable {
  /** How long a node may take to deploy: pulling and building a large image takes minutes. */
  static final Duration DEPLOY_TIMEOUT = Duration.ofMinutes(10);

  private final Gateway gateway;
  private final HttpEdge edge;

  private GatewayServer(Gateway gateway, int port) throws IOException {
    this.gateway = gateway;
    this.edge =
        Edges.builder("thaw-gateway")
            .tcp("127.0.0.1", port)
            .maxThreads(256)
            // An invocation may wait in a queue and then for a cold start: its connection stays
            // silent meanwhile.
            .idleTimeout(Duration.ofMinutes(5))
            .route("POST", "/functions/([^/]+)/invoke", this::invoke)
            .route("PUT", "/functions/([^/]+)", this::deploy)
            .route("GET", "/nodes", c -> HttpAnswer.json(200, gateway.nodes()))
            .route("GET", "/health", c -> HttpAnswer.json(200, Map.of("status", "ok")))
            .start();
  }

  public static GatewayServer start(Gateway gateway, int port) throws IOException {
    return new GatewayServer(gateway, port);
  }

  public URI uri() {
    return edge.uri();
  }

  private HttpAnswer invoke(HttpCall call) {
    Gateway.Result r =
        gateway.invoke(Edges.revision(call.group(1)), call.query("path").orElse("/"));
    return Edges.answer(r.status(), r.body(), r.served())
        .withHeader(
            "X-Thaw-Placement-Ms",
            String.format(Locale.ROOT, "%.3f", r.placement().toNanos() / 1e6));
  }

  private HttpAnswer deploy(HttpCall call) {
    Revision revision = Edges.revision(call.group(1));
    Object deployment = DeployBody.parse(call.body());
    Map<String, Gateway.Deployed> nodes =
        gateway.deployEverywhere(revision, deployment, DEPLOY_TIMEOUT);
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("revision", revision.value());
    answer.put("nodes", nodes);
    return HttpAnswer.json(200, answer);
  }

  @Override
  public void close() {
    edge.close();
  }
}
