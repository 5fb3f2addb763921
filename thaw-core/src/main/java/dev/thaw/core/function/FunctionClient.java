package dev.thaw.core.function;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

/**
 * Invokes a function instance over HTTP.
 *
 * <p>The guest answers every request with {@code Connection: close}, so each invocation opens a
 * connection. The JDK's blocking {@link HttpURLConnection} does that in a third of the time its
 * asynchronous {@code HttpClient} takes (0.37 against 0.97 ms for a local server that closes after
 * each answer, medians of 600 on this machine): on the warm path that difference is most of what
 * the agent adds to the guest. {@link HttpURLConnection} cannot send {@code PATCH}, though: that
 * one method goes through the {@code HttpClient}, created on first use.
 */
public final class FunctionClient {
  private static final int CONNECT_TIMEOUT_MS = 5000;

  /** The methods {@link HttpURLConnection} refuses to send. */
  private static final Set<String> NOT_BY_URL_CONNECTION = Set.of("PATCH");

  private final Duration timeout;
  private volatile HttpClient http;

  /**
   * @param timeout how long a call waits for the answer when it names no timeout of its own
   */
  public FunctionClient(Duration timeout) {
    this.timeout = timeout;
  }

  /**
   * The function did not answer within the call's timeout (its connection was made: it is the
   * function that is slow, not its address that is unreachable).
   */
  public static final class TimedOut extends UncheckedIOException {
    private static final long serialVersionUID = 1L;

    private final Duration timeout;

    TimedOut(URI target, Duration timeout, IOException cause) {
      super(target + " did not answer within " + timeout.toMillis() + " ms", cause);
      this.timeout = timeout;
    }

    /** The timeout that passed. */
    public Duration timeout() {
      return timeout;
    }
  }

  /**
   * The answer of one invocation.
   *
   * @param status the function's HTTP status
   * @param contentType its {@code Content-Type}; empty when it named none
   * @param content its body, as sent
   */
  public record Response(int status, String contentType, byte[] content) {
    /** The body as UTF-8 text. */
    public String body() {
      return new String(content, StandardCharsets.UTF_8);
    }
  }

  /**
   * {@code GET path} on {@code endpoint}'s host and port (see {@link FunctionPaths#resolve}).
   *
   * @throws IllegalArgumentException when {@code path} is not origin-form
   * @throws UncheckedIOException when the call fails
   */
  public Response get(URI endpoint, String path) {
    return call(endpoint, FunctionRequest.get(path));
  }

  /**
   * Sends {@code request} to {@code endpoint}'s host and port, as {@link #call(URI,
   * FunctionRequest, Duration)} does, with this client's timeout.
   */
  public Response call(URI endpoint, FunctionRequest request) {
    return call(endpoint, request, timeout);
  }

  /**
   * Sends {@code request} to {@code endpoint}'s host and port: its method, headers and body; the
   * answer's status, content type and body come back as sent.
   *
   * @param timeout how long the function may stay silent once connected: before its answer begins,
   *     and then between reads of it
   * @throws TimedOut when {@code timeout} passes
   * @throws UncheckedIOException when the call fails otherwise or the answer is longer than {@link
   *     FunctionRequest#MAX_BODY_BYTES}
   */
  public Response call(URI endpoint, FunctionRequest request, Duration timeout) {
    URI target = FunctionPaths.resolve(endpoint, request.path());
    if (NOT_BY_URL_CONNECTION.contains(request.method())) {
      return send(target, request, timeout);
    }
    HttpURLConnection c = null;
    boolean connected = false;
    try {
      c = (HttpURLConnection) target.toURL().openConnection();
      c.setConnectTimeout(CONNECT_TIMEOUT_MS);
      c.setReadTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis())));
      c.setInstanceFollowRedirects(false);
      c.setUseCaches(false);
      c.setRequestMethod(request.method());
      for (Map.Entry<String, String> h : request.headers().entrySet()) {
        c.setRequestProperty(h.getKey(), h.getValue());
      }
      boolean sends = !request.method().equals("GET") && !request.method().equals("HEAD");
      if (sends) {
        c.setDoOutput(true);
        c.setFixedLengthStreamingMode(request.body().length);
      }
      // Connected, a timeout is the function's silence, not an unreachable address.
      c.connect();
      connected = true;
      if (sends) {
        try (OutputStream out = c.getOutputStream()) {
          out.write(request.body());
        }
      }
      int status = c.getResponseCode();
      InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
      byte[] body = new byte[0];
      if (in != null) {
        try (in) {
          body = in.readNBytes(FunctionRequest.MAX_BODY_BYTES + 1);
        }
      }
      if (body.length > FunctionRequest.MAX_BODY_BYTES) {
        throw new IOException(
            "the answer is longer than " + FunctionRequest.MAX_BODY_BYTES + " bytes");
      }
      String type = c.getContentType();
      return new Response(status, type == null ? "" : type, body);
    } catch (SocketTimeoutException e) {
      throw connected
          ? new TimedOut(target, timeout, e)
          : new UncheckedIOException("invocation of " + target + " failed", e);
    } catch (IOException e) {
      throw new UncheckedIOException("invocation of " + target + " failed", e);
    } finally {
      if (c != null) {
        c.disconnect();
      }
    }
  }

  /** The call through the JDK's {@code HttpClient}, for the methods only it can send. */
  private Response send(URI target, FunctionRequest request, Duration timeout) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(target)
            .timeout(timeout)
            .method(request.method(), HttpRequest.BodyPublishers.ofByteArray(request.body()));
    // The JDK's client refuses to be told "Connection": it manages its connections itself.
    request
        .headers()
        .forEach(
            (name, value) -> {
              if (!name.equalsIgnoreCase("Connection")) {
                b.header(name, value);
              }
            });
    try {
      HttpResponse<InputStream> r =
          http().send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
      byte[] body;
      try (InputStream in = r.body()) {
        body = in.readNBytes(FunctionRequest.MAX_BODY_BYTES + 1);
      }
      if (body.length > FunctionRequest.MAX_BODY_BYTES) {
        throw new IOException(
            "the answer is longer than " + FunctionRequest.MAX_BODY_BYTES + " bytes");
      }
      String type = r.headers().firstValue("Content-Type").orElse("");
      return new Response(r.statusCode(), type, body);
    } catch (java.net.http.HttpConnectTimeoutException e) {
      throw new UncheckedIOException("invocation of " + target + " failed", e);
    } catch (HttpTimeoutException e) {
      throw new TimedOut(target, timeout, e);
    } catch (IOException e) {
      throw new UncheckedIOException("invocation of " + target + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UncheckedIOException(
          "invocation of " + target + " interrupted", new java.io.InterruptedIOException());
    }
  }

  private HttpClient http() {
    HttpClient h = http;
    if (h == null) {
      synchronized (this) {
        if (http == null) {
          // HTTP/1.1 only: the default would offer the guest an upgrade to h2c first.
          http =
              HttpClient.newBuilder()
                  .version(HttpClient.Version.HTTP_1_1)
                  .connectTimeout(Duration.ofMillis(CONNECT_TIMEOUT_MS))
                  .followRedirects(HttpClient.Redirect.NEVER)
                  .build();
        }
        h = http;
      }
    }
    return h;
  }
}
