package dev.thaw.node.protocol;

import dev.thaw.core.function.FunctionRequest;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.function.Revision;
import dev.thaw.http.BearerToken;
import dev.thaw.http.HttpAnswer;
import dev.thaw.node.snapshot.fill.ManifestDigest;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.http.HttpHeader;
import tools.jackson.core.JacksonException;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A typed client of one agent's HTTP API (see {@code AgentServer}): each resource's request built
 * and the records it serves read with the same Jackson mapping that wrote them, over one {@link
 * AgentTransport}. The gateway and tools use it; nothing else reads the agent's JSON by field name.
 */
public final class AgentClient {
  /** The mapping both sides use. */
  public static final JsonMapper JSON = HttpAnswer.JSON;

  private final AgentTransport agent;

  /**
   * @param base the agent's address, e.g. {@code http://127.0.0.1:8700}
   * @param http the client to send with (shared by a gateway's clients; see {@link #newHttp})
   * @param token the cluster's management token, sent with every request
   */
  public AgentClient(URI base, HttpClient http, BearerToken token) {
    this.agent =
        new AgentTransport(
            Objects.requireNonNull(base), Objects.requireNonNull(http), token.authorization());
  }

  /**
   * A started HTTP client for agents, to share among the clients of a gateway; its caller stops it
   * with {@link #stop} (see {@link AgentTransport#newHttp} for its settings).
   */
  public static HttpClient newHttp() {
    return AgentTransport.newHttp();
  }

  /** Stops a client from {@link #newHttp}. */
  public static void stop(HttpClient http) {
    AgentTransport.stop(http);
  }

  public URI base() {
    return agent.base();
  }

  /**
   * An invocation's answer as the agent gave it.
   *
   * @param status the HTTP status: the function's, or the agent's refusal
   * @param contentType the answer's content type; empty when it has none
   * @param content the function's answer, or the agent's JSON error
   * @param served where and how it ran; empty when the agent refused (the function never ran)
   */
  public record Answer(int status, String contentType, byte[] content, Optional<Served> served) {
    /** Why the agent refused, when it did. */
    public Optional<Refused.Kind> refusal() {
      return served.isPresent() ? Optional.empty() : Optional.of(Refused.ofHttpStatus(status));
    }

    /** The answer as UTF-8 text. */
    public String body() {
      return new String(content, StandardCharsets.UTF_8);
    }

    /** The error a refusal's JSON body names, or the body itself. */
    public String error() {
      return AgentTransport.errorOf(body());
    }
  }

  public NodeStatus status() throws IOException {
    return agent.get("/health", new TypeReference<NodeStatus>() {});
  }

  public List<InstanceInfo> instances() throws IOException {
    return agent.get("/instances", new TypeReference<List<InstanceInfo>>() {});
  }

  /** Revisions in the agent's snapshot cache. */
  public List<String> snapshots() throws IOException {
    return agent.get("/snapshots", new TypeReference<List<String>>() {});
  }

  /** The agent's meters in Prometheus' text format ({@code GET /metrics}). */
  public String metrics() throws IOException {
    ContentResponse r = agent.send("/metrics", "GET", null, Duration.ofSeconds(2));
    if (r.getStatus() != 200) {
      throw new IOException(agent.base().resolve("/metrics") + " answered " + r.getStatus());
    }
    return r.getContentAsString();
  }

  /** The agent's snapshot cache: capacity, use and each entry. */
  public CacheReport cache() throws IOException {
    return agent.get("/cache", new TypeReference<CacheReport>() {});
  }

  /**
   * The lines of {@code revision} this node kept that {@code query} asks for, oldest first; empty
   * when the revision is not deployed there.
   */
  public Optional<List<LogLine>> logs(Revision revision, LogQuery query, Duration timeout)
      throws IOException {
    StringBuilder path = new StringBuilder("/functions/" + revision + "/logs");
    char sep = '?';
    for (Map.Entry<String, String> p : query.params().entrySet()) {
      path.append(sep).append(p.getKey()).append('=').append(p.getValue());
      sep = '&';
    }
    ContentResponse r = agent.send(agent.request(path.toString(), "GET", timeout), 32 << 20);
    if (r.getStatus() == 404) {
      return Optional.empty();
    }
    if (r.getStatus() != 200) {
      throw new IOException(
          agent.base().resolve(path.toString())
              + " answered "
              + r.getStatus()
              + ": "
              + AgentTransport.errorOf(r.getContentAsString()));
    }
    try {
      return Optional.of(JSON.readValue(r.getContent(), new TypeReference<List<LogLine>>() {}));
    } catch (JacksonException e) {
      throw new IOException(agent.base() + " answered malformed logs: " + e.getMessage(), e);
    }
  }

  /** Deploys (or redeploys) {@code function} as {@code revision}. */
  public void deploy(Revision revision, FunctionSpec function, Duration timeout)
      throws IOException {
    deployAny(revision, function, timeout);
  }

  /**
   * Deploys (or redeploys) {@code deployment}, a {@link FunctionSpec} or an {@link
   * ImageDeployment}, as {@code revision}; an image is pulled and built first, so give it time.
   *
   * @return the function as the agent deployed it
   * @throws Refused INVALID when the agent refuses the deployment (with its reason)
   * @throws IOException when the agent cannot be reached or fails
   */
  public FunctionSpec deployAny(Revision revision, Object deployment, Duration timeout)
      throws IOException {
    if (!(deployment instanceof FunctionSpec) && !(deployment instanceof ImageDeployment)) {
      throw new IllegalArgumentException("not a deployment: " + deployment);
    }
    ContentResponse r =
        agent.send("/functions/" + revision, "PUT", JSON.writeValueAsString(deployment), timeout);
    String body = r.getContentAsString();
    if (r.getStatus() == 400) {
      throw new Refused(Refused.Kind.INVALID, AgentTransport.errorOf(body), null);
    }
    if (r.getStatus() != 200) {
      throw new IOException(
          "deploy of "
              + revision
              + " answered "
              + r.getStatus()
              + ": "
              + AgentTransport.errorOf(body));
    }
    try {
      return JSON.treeToValue(JSON.readTree(body).get("function"), FunctionSpec.class);
    } catch (JacksonException | IllegalArgumentException e) {
      throw new IOException("malformed answer to the deploy of " + revision + ": " + body, e);
    }
  }

  /**
   * Invokes {@code path} (origin-form: {@code /…}) on an instance of {@code revision}.
   *
   * @throws IOException when the agent cannot be reached or its answer is cut off
   */
  public Answer invoke(Revision revision, String path, Duration timeout) throws IOException {
    return invoke(revision, FunctionRequest.get(path), timeout);
  }

  /**
   * Invokes {@code request} on an instance of {@code revision}, in the form {@link InvokeRequests}
   * describes.
   *
   * @throws IOException when the agent cannot be reached or its answer is cut off
   */
  public Answer invoke(Revision revision, FunctionRequest request, Duration timeout)
      throws IOException {
    return invoke(revision, request, timeout, Optional.empty());
  }

  /**
   * Like {@link #invoke(Revision, FunctionRequest, Duration)}, handing the agent the digest of the
   * revision's snapshot manifest ({@link InvokeRequests#MANIFEST_SHA256}) when there is one.
   *
   * @throws IOException when the agent cannot be reached or its answer is cut off
   */
  public Answer invoke(
      Revision revision,
      FunctionRequest request,
      Duration timeout,
      Optional<ManifestDigest> manifestDigest)
      throws IOException {
    Request r =
        agent
            .request(
                "/functions/"
                    + revision
                    + "/invoke?path="
                    + URLEncoder.encode(request.path(), StandardCharsets.UTF_8).replace("+", "%20"),
                "POST",
                timeout)
            .headers(
                h -> {
                  // The client's own defaults must not reach the function as the caller's.
                  h.remove(HttpHeader.ACCEPT_ENCODING);
                  h.remove(HttpHeader.USER_AGENT);
                  // Authorization on this hop is the agent's token: the caller's travels apart.
                  request
                      .headers()
                      .forEach(
                          (k, v) ->
                              h.put(
                                  k.equalsIgnoreCase("Authorization")
                                      ? InvokeRequests.CALLER_AUTHORIZATION
                                      : k,
                                  v));
                  h.put(InvokeRequests.METHOD, request.method());
                  manifestDigest.ifPresent(d -> h.put(InvokeRequests.MANIFEST_SHA256, d.sha256()));
                });
    if (request.body().length > 0) {
      r.body(
          new BytesRequestContent(
              request.contentType().orElse("application/octet-stream"), request.body()));
    }
    ContentResponse answer = agent.send(r, FunctionRequest.MAX_BODY_BYTES + (64 << 10));
    Optional<Served> served =
        answer.getHeaders().get("X-Thaw-Start") != null
            ? Optional.of(readServed(answer))
            : Optional.empty();
    String type = answer.getHeaders().get(HttpHeader.CONTENT_TYPE);
    return new Answer(answer.getStatus(), type == null ? "" : type, answer.getContent(), served);
  }

  /**
   * Forgets {@code revision} on the agent; its instances stop.
   *
   * @return whether it was deployed there
   * @throws IOException when the agent cannot be reached or fails
   */
  public boolean undeploy(Revision revision, Duration timeout) throws IOException {
    ContentResponse r =
        agent.send(agent.request("/functions/" + revision, "DELETE", timeout), 1 << 20);
    if (r.getStatus() != 200) {
      throw new IOException(
          "delete of " + revision + " answered " + r.getStatus() + ": " + r.getContentAsString());
    }
    JsonNode deleted = JSON.readTree(r.getContent()).get("deleted");
    return deleted != null && deleted.asBoolean();
  }

  private Served readServed(ContentResponse r) throws IOException {
    try {
      return Served.readFrom(name -> Optional.ofNullable(r.getHeaders().get(name)));
    } catch (IllegalArgumentException e) {
      throw new IOException("malformed answer from " + agent.base() + ": " + e.getMessage(), e);
    }
  }
}
