package dev.thaw.core.function;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Invokes a function instance over HTTP. */
public final class FunctionClient {
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  private final Duration timeout;

  public FunctionClient(Duration timeout) {
    this.timeout = timeout;
  }

  /** The answer of one invocation. */
  public record Response(int status, String body) {}

  /**
   * {@code GET path} on {@code endpoint}'s host and port (see {@link FunctionPaths#resolve}).
   *
   * @throws IllegalArgumentException when {@code path} is not origin-form
   * @throws UncheckedIOException when the call fails
   */
  public Response get(URI endpoint, String path) {
    HttpRequest request =
        HttpRequest.newBuilder(FunctionPaths.resolve(endpoint, path)).timeout(timeout).build();
    try {
      HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
      return new Response(r.statusCode(), r.body());
    } catch (IOException e) {
      throw new UncheckedIOException("invocation of " + endpoint + path + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UncheckedIOException(
          "interrupted invoking " + endpoint, new IOException("interrupted", e));
    }
  }
}
