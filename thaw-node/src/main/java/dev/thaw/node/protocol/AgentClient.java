package dev.thaw.node.protocol;

import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.function.Revision;
import dev.thaw.http.HttpAnswer;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.StringRequestContent;
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

  /**
   * @param base the agent's address, e.g. {@code http://127.0.0.1:8700}
   * @param http the client to send with (shared by a gateway's clients; see {@link #newHttp})
   */
  public AgentClient(URI base, HttpClient http) {
    this.base = Objects.requireNonNull(base);
    this.http = Objects.requireNonNull(http);
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
    // A cold start can keep a connection silent for minutes; each request has its own timeout.
    http.setIdleTimeout(Duration.ofMinutes(5).toMillis());
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
   * @param body the function's answer, or the agent's JSON error
   * @param served where and how it ran; empty when the agent refused (the function never ran)
   */
  public record Answer(int status, String body, Optional<Served> served) {
    /** Why the agent refused, when it did. */
    public Optional<Refused.Kind> refusal() {
      return served.isPresent() ? Optional.empty() : Optional.of(Refused.ofHttpStatus(status));
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
      throw new IOException("deploy of " + revision + " answered " + r.getStatus() + ": " + body);
    }
    try {
      return JSON.treeToValue(JSON.readTree(body).get("function"), FunctionSpec.class);
    } catch (JacksonException | IllegalArgumentException e) {
      throw new IOException("malformed answer to the deploy of " + revision + ": " + body, e);
    }
  }

  /** The {@code error} of a refusal's JSON body, or the body itself. */
  private static String errorOf(String body) {
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
    ContentResponse r =
        send(
            "/functions/"
                + revision
                + "/invoke?path="
                + URLEncoder.encode(path, StandardCharsets.UTF_8).replace("+", "%20"),
            "POST",
            null,
            timeout);
    Optional<Served> served =
        r.getHeaders().get("X-Thaw-Start") != null ? Optional.of(readServed(r)) : Optional.empty();
    return new Answer(r.getStatus(), r.getContentAsString(), served);
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
    Request request =
        http.newRequest(base.resolve(path))
            .method(method)
            .timeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (json != null) {
      request.body(new StringRequestContent("application/json", json));
    }
    try {
      return request.send();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    } catch (TimeoutException e) {
      throw new IOException(
          base.resolve(path)
              + " did not answer within "
              + timeout.toMillis()
              + " ms ("
              + e.getMessage()
              + ")",
          e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      throw new IOException(base.resolve(path) + ": " + cause, cause);
    }
  }
}
