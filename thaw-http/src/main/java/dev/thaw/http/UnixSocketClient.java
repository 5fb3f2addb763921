package dev.thaw.http;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.io.Transport;

/**
 * An HTTP/1.1 client of one server on a Unix-domain socket (Jetty's client, connections kept alive
 * and pooled), as the launcher calls its node's agent.
 */
public final class UnixSocketClient implements AutoCloseable {
  private final Path socket;
  private final HttpClient http;
  private final Transport transport;

  public UnixSocketClient(Path socket) throws IOException {
    this.socket = socket;
    this.transport = new Transport.TCPUnix(socket);
    this.http = new HttpClient();
    http.setFollowRedirects(false);
    http.setName("thaw-unix-client");
    try {
      http.start();
    } catch (Exception e) {
      throw new IOException("cannot start an HTTP client: " + e.getMessage(), e);
    }
  }

  /**
   * Sends one request and waits for the whole answer.
   *
   * @param target origin-form path and query, e.g. {@code /functions/hello/invoke?path=%2F}
   * @throws IOException when the server cannot be reached, or does not answer in {@code timeout}
   */
  public HttpAnswer send(String method, String target, byte[] body, Duration timeout)
      throws IOException {
    try {
      var request =
          http.newRequest("http://localhost" + target)
              .transport(transport)
              .method(method)
              .timeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (body.length > 0) {
        request.body(new BytesRequestContent("application/json", body));
      }
      ContentResponse r = request.send();
      Map<String, String> headers = new LinkedHashMap<>();
      for (HttpField f : r.getHeaders()) {
        headers.putIfAbsent(f.getName(), f.getValue());
      }
      String type =
          r.getMediaType() == null
              ? "application/octet-stream"
              : r.getHeaders().get("Content-Type");
      headers.remove("Content-Type");
      headers.remove("Content-Length");
      return new HttpAnswer(r.getStatus(), type, headers, r.getContent());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    } catch (TimeoutException e) {
      throw new IOException(
          "no answer from " + socket + " within " + timeout.toMillis() + " ms", e);
    } catch (ExecutionException e) {
      throw new IOException(socket + ": " + e.getCause().getMessage(), e.getCause());
    }
  }

  @Override
  public void close() {
    try {
      http.stop();
    } catch (Exception e) {
      // Stopping a client has nothing left to report.
    }
  }
}
