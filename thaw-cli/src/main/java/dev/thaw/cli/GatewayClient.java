package dev.thaw.cli;

import dev.thaw.http.BearerToken;
import dev.thaw.node.protocol.AgentClient;
import dev.thaw.node.protocol.FunctionInfo;
import dev.thaw.node.protocol.ImageDeployment;
import dev.thaw.node.protocol.InvokeRequests;
import dev.thaw.node.protocol.LogLine;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tools.jackson.core.JacksonException;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.JsonNode;

/**
 * The gateway's API as {@code thaw deploy}, {@code invoke}, {@code functions}, {@code logs} and
 * {@code delete} use it, reading the records the gateway writes. Every failure is a {@link Failure}
 * with a message fit for one line.
 */
final class GatewayClient {
  /** What went wrong, in words for the user. */
  static final class Failure extends Exception {
    Failure(String message) {
      super(message);
    }
  }

  private final URI base;
  private final Optional<BearerToken> token;
  private final HttpClient http =
      HttpClient.newBuilder()
          .connectTimeout(Duration.ofSeconds(5))
          .followRedirects(HttpClient.Redirect.NEVER)
          .build();

  /**
   * @param base the gateway's address
   * @param token the management token, sent with every request; empty for invocations only
   */
  GatewayClient(URI base, Optional<BearerToken> token) {
    this.base = base;
    this.token = token;
  }

  /** Deploys {@code deployment} as {@code name}; the gateway's JSON answer. */
  JsonNode deploy(String name, ImageDeployment deployment) throws Failure {
    HttpResponse<byte[]> r =
        send(
            request("/functions/" + segment(name), Duration.ofMinutes(15))
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(json(deployment)))
                .build());
    return okJson(r);
  }

  /** Invokes {@code name}; the function's answer, whatever its status. */
  HttpResponse<byte[]> invoke(
      String name, String method, String path, byte[] body, String contentType) throws Failure {
    HttpRequest.Builder b =
        request(
                "/functions/"
                    + segment(name)
                    + "/invoke?path="
                    + URLEncoder.encode(path, StandardCharsets.UTF_8).replace("+", "%20"),
                InvokeRequests.SILENCE)
            .header(InvokeRequests.METHOD, method)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    HttpResponse<byte[]> r = send(b.build());
    if (r.headers().firstValue("X-Thaw-Start").isEmpty()) {
      // Not the function's answer: the gateway refused.
      throw new Failure(errorOf(r));
    }
    return r;
  }

  List<FunctionInfo> functions() throws Failure {
    HttpResponse<byte[]> r = send(request("/functions", Duration.ofSeconds(30)).GET().build());
    if (r.statusCode() != 200) {
      throw new Failure(errorOf(r));
    }
    try {
      return AgentClient.JSON.readValue(r.body(), new TypeReference<List<FunctionInfo>>() {});
    } catch (JacksonException e) {
      throw new Failure(base + " answered something other than a list of functions");
    }
  }

  /** One page of logs: the lines, the cursor for what comes next, the nodes not asked and why. */
  record Logs(List<LogLine> lines, String cursor, Map<String, String> unreachable) {}

  /**
   * {@code name}'s logs from every node: since {@code since} (epoch ns, 0 for all), after {@code
   * cursor}, at most the last {@code tail}.
   */
  Logs logs(String name, long since, Optional<Integer> tail, String cursor) throws Failure {
    StringBuilder path = new StringBuilder("/functions/" + segment(name) + "/logs?cursor=");
    path.append(URLEncoder.encode(cursor, StandardCharsets.UTF_8));
    if (since > 0) {
      path.append("&since=").append(since);
    }
    tail.ifPresent(t -> path.append("&tail=").append(t));
    HttpResponse<byte[]> r = send(request(path.toString(), Duration.ofSeconds(60)).GET().build());
    if (r.statusCode() != 200) {
      throw new Failure(errorOf(r));
    }
    try {
      return AgentClient.JSON.readValue(r.body(), Logs.class);
    } catch (JacksonException e) {
      throw new Failure(base + " answered something other than logs");
    }
  }

  JsonNode delete(String name) throws Failure {
    return okJson(
        send(request("/functions/" + segment(name), Duration.ofSeconds(60)).DELETE().build()));
  }

  private HttpRequest.Builder request(String path, Duration timeout) {
    HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(timeout);
    token.ifPresent(t -> b.header("Authorization", t.authorization()));
    return b;
  }

  private static String segment(String name) {
    return URLEncoder.encode(name, StandardCharsets.UTF_8);
  }

  private static byte[] json(Object value) {
    return AgentClient.JSON.writeValueAsBytes(value);
  }

  private HttpResponse<byte[]> send(HttpRequest request) throws Failure {
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    } catch (ConnectException e) {
      throw new Failure(
          "no Thaw gateway answers at "
              + base
              + " (start one with `thaw serve`, or name it with"
              + " --gateway or THAW_GATEWAY)");
    } catch (java.net.http.HttpTimeoutException e) {
      throw new Failure("the gateway at " + base + " did not answer in time");
    } catch (IOException e) {
      throw new Failure("cannot reach the gateway at " + base + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Failure("interrupted");
    } catch (IllegalArgumentException e) {
      throw new Failure("not a usable gateway address: " + base);
    }
  }

  private JsonNode okJson(HttpResponse<byte[]> r) throws Failure {
    if (r.statusCode() / 100 != 2) {
      throw new Failure(errorOf(r));
    }
    try {
      return AgentClient.JSON.readTree(r.body());
    } catch (JacksonException e) {
      throw new Failure(base + " answered something other than JSON");
    }
  }

  /** The gateway's {@code {"error": …}}, or what it answered. */
  private static String errorOf(HttpResponse<byte[]> r) {
    if (r.statusCode() == 401) {
      return "the gateway refused the management token (401); give the one its thaw serve wrote"
          + " with --token-file FILE or "
          + TokenOptions.ENV;
    }
    String body = new String(r.body(), StandardCharsets.UTF_8);
    try {
      JsonNode error = AgentClient.JSON.readTree(body).get("error");
      if (error != null && error.isString()) {
        return error.asString() + " (" + r.statusCode() + ")";
      }
    } catch (JacksonException e) {
      // Not JSON: say what came.
    }
    String line = body.lines().findFirst().orElse("");
    return "the gateway answered " + r.statusCode() + (line.isEmpty() ? "" : ": " + line);
  }
}
