package dev.thaw.node.protocol;

import dev.thaw.core.function.FunctionRequest;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.function.Revision;
import dev.thaw.http.BearerToken;
import dev.thaw.http.HttpAnswer;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.CompletableResponseListener;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.StringRequestContent;
import org.eclipse.jetty.http.HttpHeader;
import tools.jackson.core.JacksonException;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A typed client of one agent's HTTP API (see {@code AgentServer}): the records it serves, read
 * with the same Jackson mapping that wrote them. The gateway and tools use it; nothing else reads
 * the agent's JSON by field name.
 */
public final class AgentClient {
  /** The mapping both sides use. */
  public static final JsonMapper JSON = HttpAnswer.JSON;

  private static final Duration POLL_TIMEOUT = Duration.ofSeconds(2);

  private final URI base;
  private final HttpClient http;
  private final String authorization;

  /**
   * @param base the agent's address, e.g. {@code http://127.0.0.1:8700}
   * @param http the client to send with (shared by a gateway's clients; see {@link #newHttp})
   * @param token the cluster's management token, sent with every request
   */
  public AgentClient(URI base, HttpClient http, BearerToken token) {
    this.base = Objects.requireNonNull(base);
    this.http = Objects.requireNonNull(http);
    this.authorization = token.authorization();
  }

  /**
   * A started HTTP/1.1 client (Jetty's) with a short connect timeout, as agents are local or near;
   * its caller stops it. Jetty's client rather than the JDK's: a kept-alive request to the agent
   * takes 0.22 ms against 0.43 (medians of 1000 on this machine), and the gateway makes one per
   * invocation.
   */
  public static HttpClient newHttp() {
    HttpClient http = new HttpClient();
    http.setConnectTimeout(2000);
    // A cold start and a function can keep a connection silent for minutes; each request has its
    // own timeout.
    http.setIdleTimeout(InvokeRequests.SILENCE.toMillis());
    http.setFollowRedirects(false);
    http.setName("thaw-agent-client");
    try {
      http.start();
    } catch (Exception e) {
      throw new IllegalStateException("cannot start an HTTP client: " + e.getMessage(), e);
    }
    return http;
  }

  /** Stops a client from {@link #newHttp}. */
  public static void stop(HttpClient http) {
    try {
      http.stop();
    } catch (Exception e) {
      // Nothing left to report when a client stops.
    }
  }

  public URI base() {
    return base;
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
      return errorOf(body());
    }
  }

  public NodeStatus status() throws IOException {
    return get("/health", new TypeReference<NodeStatus>() {});
  }

  public List<InstanceInfo> instances() throws IOException {
    return get("/instances", new TypeReference<List<InstanceInfo>>() {});
  }

  /** Revisions in the agent's snapshot cache. */
  public List<String> snapshots() throws IOException {
    return get("/snapshots", new TypeReference<List<String>>() {});
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
    ContentResponse r = send(request(path.toString(), "GET", timeout), 32 << 20);
    if (r.getStatus() == 404) {
      return Optional.empty();
    }
    if (r.getStatus() != 200) {
      throw new IOException(
          base.resolve(path.toString())
              + " answered "
              + r.getStatus()
              + ": "
              + errorOf(r.getContentAsString()));
    }
    try {
      return Optional.of(JSON.readValue(r.getContent(), new TypeReference<List<LogLine>>() {}));
    } catch (JacksonException e) {
      throw new IOException(base + " answered malformed logs: " + e.getMessage(), e);
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
        send("/functions/" + revision, "PUT", JSON.writeValueAsString(deployment), timeout);
    String body = r.getContentAsString();
    if (r.getStatus() == 400) {
      throw new Refused(Refused.Kind.INVALID, errorOf(body), null);
    }
    if (r.getStatus() != 200) {
      throw new IOException(
          "deploy of " + revision + " answered " + r.getStatus() + ": " + errorOf(body));
    }
    try {
      return JSON.treeToValue(JSON.readTree(body).get("function"), FunctionSpec.class);
    } catch (JacksonException | IllegalArgumentException e) {
      throw new IOException("malformed answer to the deploy of " + revision + ": " + body, e);
    }
  }

  /** The {@code error} of a refusal's JSON body, or the body itself. */
  static String errorOf(String body) {
    try {
      JsonNode error = JSON.readTree(body).get("error");
      return error != null && error.isString() ? error.asString() : body;
    } catch (JacksonException e) {
      return body;
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
    Request r =
        request(
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
                  request.headers().forEach(h::put);
                  h.put(InvokeRequests.METHOD, request.method());
                });
    if (request.body().length > 0) {
      r.body(
          new BytesRequestContent(
              request.contentType().orElse("application/octet-stream"), request.body()));
    }
    ContentResponse answer = send(r, FunctionRequest.MAX_BODY_BYTES + (64 << 10));
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
    ContentResponse r = send(request("/functions/" + revision, "DELETE", timeout), 1 << 20);
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
      throw new IOException("malformed answer from " + base + ": " + e.getMessage(), e);
    }
  }

  private <T> T get(String path, TypeReference<T> type) throws IOException {
    ContentResponse r = send(path, "GET", null, POLL_TIMEOUT);
    if (r.getStatus() != 200) {
      throw new IOException(base.resolve(path) + " answered " + r.getStatus());
    }
    try {
      return JSON.readValue(r.getContent(), type);
    } catch (JacksonException e) {
      throw new IOException(base.resolve(path) + " answered malformed JSON: " + e.getMessage(), e);
    }
  }

  private ContentResponse send(String path, String method, String json, Duration timeout)
      throws IOException {
    Request request = request(path, method, timeout);
    if (json != null) {
      request.body(new StringRequestContent("application/json", json));
    }
    return send(request, 2 << 20);
  }

  private Request request(String path, String method, Duration timeout) {
    return http.newRequest(base.resolve(path))
        .headers(h -> h.put(HttpHeader.AUTHORIZATION, authorization))
        .method(method)
        .timeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  private ContentResponse send(Request request, int maxAnswerBytes) throws IOException {
    String path = request.getURI().getRawPath();
    try {
      return new CompletableResponseListener(request, maxAnswerBytes).send().get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      if (cause instanceof TimeoutException) {
        throw new IOException(
            base.resolve(path)
                + " did not answer within "
                + request.getTimeout()
                + " ms ("
                + cause.getMessage()
                + ")",
            cause);
      }
      throw new IOException(base.resolve(path) + ": " + cause, cause);
    }
  }
}
