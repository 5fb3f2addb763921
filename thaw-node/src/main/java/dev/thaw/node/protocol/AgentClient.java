package dev.thaw.node.protocol;

import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.function.Revision;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import tools.jackson.core.JacksonException;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * A typed client of one agent's HTTP API (see {@code AgentServer}): the records it serves, read
 * with the same Jackson mapping that wrote them. The gateway and tools use it; nothing else reads
 * the agent's JSON by field name.
 */
public final class AgentClient {
  /** The mapping both sides use. */
  public static final JsonMapper JSON = JsonMapper.builder().build();

  private static final Duration POLL_TIMEOUT = Duration.ofSeconds(2);

  private final URI base;
  private final HttpClient http;

  /**
   * @param base the agent's address, e.g. {@code http://127.0.0.1:8700}
   * @param http the client to send with (shared by a gateway's clients)
   */
  public AgentClient(URI base, HttpClient http) {
    this.base = Objects.requireNonNull(base);
    this.http = Objects.requireNonNull(http);
  }

  /** An HTTP/1.1 client with a short connect timeout, as agents are local or near. */
  public static HttpClient defaultHttp() {
    return HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(2))
        .build();
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
    HttpResponse<String> r =
        send(
            "/functions/" + revision,
            "PUT",
            HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(function)),
            timeout);
    if (r.statusCode() != 200) {
      throw new IOException(
          "deploy of " + revision + " answered " + r.statusCode() + ": " + r.body());
    }
  }

  /**
   * Invokes {@code path} (origin-form: {@code /…}) on an instance of {@code revision}.
   *
   * @throws IOException when the agent cannot be reached or its answer is cut off
   */
  public Answer invoke(Revision revision, String path, Duration timeout) throws IOException {
    HttpResponse<String> r =
        send(
            "/functions/"
                + revision
                + "/invoke?path="
                + URLEncoder.encode(path, StandardCharsets.UTF_8).replace("+", "%20"),
            "POST",
            HttpRequest.BodyPublishers.noBody(),
            timeout);
    Optional<Served> served =
        r.headers().firstValue("X-Thaw-Start").isPresent()
            ? Optional.of(readServed(r))
            : Optional.empty();
    return new Answer(r.statusCode(), r.body(), served);
  }

  private static Served readServed(HttpResponse<String> r) throws IOException {
    try {
      return Served.readFrom(name -> r.headers().firstValue(name));
    } catch (IllegalArgumentException e) {
      throw new IOException("malformed answer from " + r.uri() + ": " + e.getMessage(), e);
    }
  }

  private <T> T get(String path, TypeReference<T> type) throws IOException {
    HttpResponse<String> r = send(path, "GET", HttpRequest.BodyPublishers.noBody(), POLL_TIMEOUT);
    if (r.statusCode() != 200) {
      throw new IOException(base.resolve(path) + " answered " + r.statusCode());
    }
    try {
      return JSON.readValue(r.body(), type);
    } catch (JacksonException e) {
      throw new IOException(base.resolve(path) + " answered malformed JSON: " + e.getMessage(), e);
    }
  }

  private HttpResponse<String> send(
      String path, String method, HttpRequest.BodyPublisher body, Duration timeout)
      throws IOException {
    HttpRequest request =
        HttpRequest.newBuilder(base.resolve(path))
            .method(method, body)
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
}
