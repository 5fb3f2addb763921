package dev.thaw.node.gateway;

import dev.thaw.core.function.FunctionRequest;
import dev.thaw.core.function.Revision;
import dev.thaw.http.BearerToken;
import dev.thaw.http.HttpAnswer;
import dev.thaw.http.HttpCall;
import dev.thaw.http.HttpEdge;
import dev.thaw.http.SessionCookies;
import dev.thaw.node.http.Edges;
import dev.thaw.node.protocol.DeployBody;
import dev.thaw.node.protocol.InvokeRequests;
import dev.thaw.node.protocol.LogQuery;
import dev.thaw.node.protocol.Refused;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The gateway's HTTP API on 127.0.0.1, served by the {@link HttpEdge}.
 *
 * <pre>
 *   PUT  /functions/{revision}                   deploys on every node: a FunctionSpec or an
 *                                                ImageDeployment (as the agent's API); each
 *                                                node's outcome
 *   DELETE /functions/{revision}                 forgets it here and on every node
 *   GET  /functions                              deployed functions (FunctionInfo): image
 *                                                digest, nodes caching the snapshot, warm
 *                                                instances
 *   POST /functions/{revision}/invoke[?path=/x]   invokes as the agent's API does (method in
 *                                                X-Thaw-Method, body, safe headers); the
 *                                                function's answer, X-Thaw-* headers say where
 *                                                and how it ran
 *   GET  /functions/{revision}/invocations       its last 100 invocations through the gateway,
 *                                                newest first (InvocationRecord): warm, local,
 *                                                remote, boot or failed, with placement, fetch,
 *                                                startup and latency
 *   GET  /functions/{revision}/logs?cursor=       its lines from every node (ClusterLogs)
 *   GET  /nodes                                  the gateway's view of every node
 *   GET  /caches                                 every node's snapshot cache (CacheReport):
 *                                                capacity, use, each entry's size, pins, last use
 *   GET  /health
 *   GET  /ui/                                    the console (Console): its page, or 401 with a
 *                                                login form; /ui/login (GET: the form, POST: the
 *                                                token in, a session cookie out), /ui/logout,
 *                                                /ui/console.js, /ui/console.css
 *   ANY  /{revision}[/path][?query]              plain HTTP: invokes the revision with the
 *                                                request's method, path after the revision,
 *                                                query, safe headers (FunctionHeaders) and body
 * </pre>
 *
 * The API's routes come first: a revision named {@code functions}, {@code nodes} or {@code health}
 * is reachable through {@code /functions/{revision}/invoke} only, never as plain HTTP.
 *
 * <p>Invocations (the {@code invoke} route and plain HTTP) and {@code GET /health} are open to any
 * client, as a function's own URL is; every other route manages the cluster and needs the
 * management token ({@code Authorization: Bearer}, 401 without it) or a browser's console session
 * ({@link SessionCookies}: its cookie, plus {@code X-Thaw-Console: 1} on a change). Paths are
 * matched as Jetty resolves them (dot segments removed, encoded ones refused), so {@code
 * /fn/../functions} is the management route {@code /functions}, with its token, never a function's
 * path.
 */
public final class GatewayServer implements AutoCloseable {
  /** How long a node may take to deploy: pulling and building a large image takes minutes. */
  static final Duration DEPLOY_TIMEOUT = Duration.ofMinutes(10);

  /** First path segments the API owns; plain HTTP to a revision so named is not routed. */
  static final String RESERVED = "functions|nodes|health|caches|ui";

  /** A plain HTTP invocation: the revision's segment, then the function's path. */
  private static final String PLAIN = "/(?!(?:" + RESERVED + ")(?:/|$))([^/]+)(/.*)?";

  /**
   * What a function's answer may do in a browser: run its scripts and forms, but in an opaque
   * origin of its own, never as this origin (the console's), so no request it makes carries the
   * console's session.
   */
  static final String SANDBOX =
      "sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads";

  private final Gateway gateway;
  private final InvocationLog invocations = new InvocationLog();
  private final HttpEdge edge;

  private GatewayServer(Gateway gateway, int port, BearerToken token) throws IOException {
    this.gateway = gateway;
    SessionCookies sessions = SessionCookies.builder().build();
    this.edge =
        Console.routes(Edges.builder("thaw-gateway"), token, sessions)
            .tcp("127.0.0.1", port)
            .maxThreads(256)
            // An invocation may wait in a queue, then for a cold start and its function: its
            // connection stays silent meanwhile.
            .idleTimeout(InvokeRequests.SILENCE)
            .maxBodyBytes(InvokeRequests.MAX_BODY_BYTES)
            .token(token)
            .sessions(sessions)
            .openRoute("POST", "/functions/([^/]+)/invoke", c -> invoke(c, InvokeRequests.read(c)))
            .route("PUT", "/functions/([^/]+)", this::deploy)
            .route("DELETE", "/functions/([^/]+)", this::delete)
            .route("GET", "/functions/([^/]+)/logs", this::logs)
            .route(
                "GET",
                "/functions/([^/]+)/invocations",
                c -> HttpAnswer.json(200, invocations.recent(Edges.revision(c.group(1)))))
            .route("GET", "/caches", c -> HttpAnswer.json(200, gateway.caches()))
            .route("GET", "/functions", c -> HttpAnswer.json(200, gateway.functions()))
            .route("GET", "/nodes", c -> HttpAnswer.json(200, gateway.nodes()))
            .openRoute("GET", "/health", c -> HttpAnswer.json(200, Map.of("status", "ok")))
            .openRoute("*", PLAIN, c -> invoke(c, InvokeRequests.plain(c, functionPath(c))))
            .start();
  }

  /**
   * Serves {@code gateway} on 127.0.0.1:{@code port} (0: any free port); its management routes need
   * {@code token}.
   */
  public static GatewayServer start(Gateway gateway, int port, BearerToken token)
      throws IOException {
    return new GatewayServer(gateway, port, token);
  }

  public URI uri() {
    return edge.uri();
  }

  /** The raw path after the revision's segment: {@code /a/b} of {@code /name/a/b}; "" for none. */
  static String functionPath(HttpCall call) {
    String raw = call.rawPath();
    int slash = raw.indexOf('/', 1);
    return slash < 0 ? "" : raw.substring(slash);
  }

  /**
   * {@code GET /functions/NAME/logs?since=&tail=&cursor=}: the function's lines from every node,
   * oldest first, with the cursor to ask for what comes next.
   */
  private HttpAnswer logs(HttpCall call) {
    Revision revision = Edges.revision(call.group(1));
    LogQuery query;
    Map<String, Long> cursor;
    try {
      query = LogQuery.from(call::query);
      cursor = ClusterLogs.cursor(call.query("cursor").orElse(""));
    } catch (IllegalArgumentException e) {
      throw new Refused(Refused.Kind.INVALID, e.getMessage(), e);
    }
    return HttpAnswer.json(200, gateway.logs(revision, query, cursor));
  }

  private HttpAnswer delete(HttpCall call) {
    Revision revision = Edges.revision(call.group(1));
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("revision", revision.value());
    answer.put("nodes", gateway.delete(revision));
    invocations.forget(revision);
    return HttpAnswer.json(200, answer);
  }

  /**
   * Invokes and remembers the invocation. The function never sees the console's session cookie, and
   * its answer is sandboxed ({@link #SANDBOX}): it comes from this origin, where the console runs,
   * so a page a function serves must not act with the console's session.
   */
  private HttpAnswer invoke(HttpCall call, FunctionRequest request) {
    Revision revision = Edges.revision(call.group(1));
    long start = System.nanoTime();
    long time = System.currentTimeMillis();
    Gateway.Result r;
    try {
      r = gateway.invoke(revision, Console.withoutSession(request));
    } catch (Refused e) {
      if (e.kind() != Refused.Kind.UNKNOWN_REVISION && e.kind() != Refused.Kind.INVALID) {
        invocations.add(revision, InvocationLog.failed(time, e, System.nanoTime() - start));
      }
      throw e;
    }
    invocations.add(revision, InvocationLog.served(time, r, System.nanoTime() - start));
    return Edges.answer(r.status(), r.contentType(), r.content(), r.served())
        .withHeader("X-Thaw-Placement-Ms", millis(r.placement()))
        .withHeader("Content-Security-Policy", SANDBOX);
  }

  /**
   * {@code d} in milliseconds with three decimals, as {@code %.3f} writes it, without a {@link
   * java.util.Formatter}: one took 7% of the gateway's threads' time under {@code thaw bench load}.
   */
  static String millis(Duration d) {
    long micros = Math.round(d.toNanos() / 1e3);
    long fraction = micros % 1000;
    return micros / 1000 + (fraction < 10 ? ".00" : fraction < 100 ? ".0" : ".") + fraction;
  }

  private HttpAnswer deploy(HttpCall call) {
    Revision revision = Edges.revision(call.group(1));
    Object deployment = DeployBody.parseRequest(call.body());
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
