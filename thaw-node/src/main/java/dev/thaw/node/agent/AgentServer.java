package dev.thaw.node.agent;

import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.function.Revision;
import dev.thaw.http.BearerToken;
import dev.thaw.http.HttpAnswer;
import dev.thaw.http.HttpCall;
import dev.thaw.http.HttpEdge;
import dev.thaw.node.http.Edges;
import dev.thaw.node.protocol.CacheReport;
import dev.thaw.node.protocol.DeployBody;
import dev.thaw.node.protocol.ImageDeployment;
import dev.thaw.node.protocol.InvokeRequests;
import dev.thaw.node.protocol.LogQuery;
import dev.thaw.node.protocol.Refused;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The agent's HTTP API, on 127.0.0.1 and, optionally, a Unix-domain socket (the launcher's way in),
 * served by the {@link HttpEdge}. The HTTP layer only translates; {@link NodeAgent} decides. The
 * records it serves are those of {@code dev.thaw.node.protocol}, which {@link AgentClient} reads; a
 * refusal's kind becomes its status here.
 *
 * <p>Only the gateway and the node's own launchers talk to it. On TCP every route but {@code GET
 * /health} needs the cluster's management token ({@code Authorization: Bearer}); on the Unix-domain
 * socket none does, because the socket file's mode (0660, see {@link HttpEdge.Builder#unix}) lets
 * only the agent's user and group connect: on a node, reaching the socket is the credential.
 *
 * <p>A function from an image comes as an {@code ImageDeployment} only: a {@code FunctionSpec} with
 * an image names a root filesystem by host path, and a request must not choose which host file a
 * guest gets as its disk. Such a spec is refused (400); the agent builds or finds the root image in
 * its own cache from the image reference instead.
 *
 * <pre>
 *   GET  /health                              a NodeStatus
 *   PUT  /functions/{revision}                body: a FunctionSpec, or an ImageDeployment (an
 *                                             object with an "image" string); deploys it
 *   GET  /functions                           deployed revisions and their specs
 *   DELETE /functions/{revision}              forgets it; its instances stop
 *   POST /functions/{revision}/invoke[?path=/x] invokes with the method in X-Thaw-Method (GET),
 *                                             the request's body and safe headers (see
 *                                             InvokeRequests); the function's status, content
 *                                             type and body, with where and how it ran in
 *                                             X-Thaw-* headers (see Served)
 *   GET  /instances                           running instances (InstanceInfo)
 *   POST /functions/{revision}/instances      starts an instance (restore or boot) and leaves
 *                                             it warm; same headers as invoke
 *   DELETE /functions/{revision}/instances    stops the revision's idle instances
 *   GET  /snapshots                           revisions in the local snapshot cache
 *   GET  /cache                               the local snapshot cache (CacheReport): capacity,
 *                                             use, each entry's size, pins and last use
 *   GET  /metrics                             Prometheus text format
 * </pre>
 */
public final class AgentServer implements AutoCloseable {
  private static final String REVISION = "/functions/([^/]+)";

  private final NodeAgent agent;
  private final HttpEdge edge;

  private AgentServer(
      NodeAgent agent,
      int port,
      Optional<Path> socket,
      BearerToken token,
      Supplier<Object> snapshots,
      Supplier<CacheReport> cache,
      Supplier<String> metrics)
      throws IOException {
    this.agent = agent;
    HttpEdge.Builder b =
        Edges.builder("thaw-agent")
            .tcp("127.0.0.1", port)
            // An invocation that cold-starts (a boot under load: minutes) and then waits for its
            // function keeps its connection silent meanwhile.
            .idleTimeout(InvokeRequests.SILENCE)
            .maxBodyBytes(InvokeRequests.MAX_BODY_BYTES)
            .token(token)
            .openRoute("GET", "/health", c -> HttpAnswer.json(200, agent.status()))
            .route("POST", REVISION + "/invoke", this::invoke)
            .route(
                "POST",
                REVISION + "/instances",
                c -> answer(agent.invoke(Edges.revision(c.group(1)), "/health")))
            .route(
                "DELETE",
                REVISION + "/instances",
                c ->
                    HttpAnswer.json(
                        200, Map.of("stopped", agent.stopIdle(Edges.revision(c.group(1))))))
            .route("PUT", REVISION, this::deploy)
            .route(
                "DELETE",
                REVISION,
                c ->
                    HttpAnswer.json(
                        200, Map.of("deleted", agent.undeploy(Edges.revision(c.group(1))))))
            .route("GET", REVISION + "/logs", this::logs)
            .route("GET", "/functions", c -> HttpAnswer.json(200, agent.functions()))
            .route("GET", "/instances", c -> HttpAnswer.json(200, agent.instances()))
            .route("GET", "/snapshots", c -> HttpAnswer.json(200, snapshots.get()))
            .route("GET", "/cache", c -> HttpAnswer.json(200, cache.get()))
            .route(
                "GET",
                "/metrics",
                c -> HttpAnswer.text(200, "text/plain; version=0.0.4", metrics.get()));
    socket.ifPresent(b::unix);
    this.edge = b.start();
  }

  /** Serves {@code agent} where {@code token} is asked for; the rest is set on the builder. */
  public static Builder builder(NodeAgent agent, BearerToken token) {
    return new Builder(agent, token);
  }

  /**
   * An agent's edge: on 127.0.0.1:{@link #port} (0, the default: any free port) and, when given, on
   * the Unix-domain socket {@link #socket}; {@code GET /snapshots}, {@code /cache} and {@code
   * /metrics} answer what their suppliers give (by default: nothing cached, no metrics).
   */
  public static final class Builder {
    private final NodeAgent agent;
    private final BearerToken token;
    private int port;
    private Optional<Path> socket = Optional.empty();
    private Supplier<Object> snapshots = List::of;
    private Supplier<CacheReport> cache;
    private Supplier<String> metrics = () -> "";

    private Builder(NodeAgent agent, BearerToken token) {
      this.agent = Objects.requireNonNull(agent, "agent");
      this.token = Objects.requireNonNull(token, "token");
      this.cache = () -> CacheReport.none(agent.name());
    }

    public Builder port(int port) {
      this.port = port;
      return this;
    }

    public Builder socket(Path socket) {
      this.socket = Optional.of(socket);
      return this;
    }

    /** What {@code GET /snapshots} answers: the revisions the node's cache holds, say. */
    public Builder snapshots(Supplier<Object> snapshots) {
      this.snapshots = Objects.requireNonNull(snapshots);
      return this;
    }

    /** What {@code GET /cache} answers. */
    public Builder cache(Supplier<CacheReport> cache) {
      this.cache = Objects.requireNonNull(cache);
      return this;
    }

    /** What {@code GET /metrics} answers (Prometheus text). */
    public Builder metrics(Supplier<String> metrics) {
      this.metrics = Objects.requireNonNull(metrics);
      return this;
    }

    public AgentServer start() throws IOException {
      return new AgentServer(agent, port, socket, token, snapshots, cache, metrics);
    }
  }

  public URI uri() {
    return edge.uri();
  }

  public Optional<Path> socket() {
    return edge.unixSocket();
  }

  private HttpAnswer invoke(HttpCall call) {
    Revision revision = Edges.revision(call.group(1));
    return answer(
        agent.invoke(revision, InvokeRequests.relayed(call), InvokeRequests.manifestDigest(call)));
  }

  /** {@code GET /functions/REV/logs?after=&since=&tail=}: this node's lines, oldest first. */
  private HttpAnswer logs(HttpCall call) {
    LogQuery query;
    try {
      query = LogQuery.from(call::query);
    } catch (IllegalArgumentException e) {
      throw new Refused(Refused.Kind.INVALID, e.getMessage(), e);
    }
    return HttpAnswer.json(200, agent.logs(Edges.revision(call.group(1)), query));
  }

  private static HttpAnswer answer(Invocation result) {
    return Edges.answer(result.status(), result.contentType(), result.content(), result.served());
  }

  private HttpAnswer deploy(HttpCall call) {
    Revision revision = Edges.revision(call.group(1));
    FunctionSpec spec;
    Object body = DeployBody.parseRequest(call.body());
    if (body instanceof ImageDeployment image) {
      spec = agent.deploy(revision, image);
    } else {
      spec = (FunctionSpec) body;
      agent.deploy(revision, spec);
    }
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("revision", revision.value());
    answer.put("function", spec);
    return HttpAnswer.json(200, answer);
  }

  @Override
  public void close() {
    edge.close();
  }
}
