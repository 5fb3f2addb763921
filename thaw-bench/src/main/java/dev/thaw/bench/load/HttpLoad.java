package dev.thaw.bench.load;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The load's HTTP client: one Jetty client for every path, so that the gateway and the guests are
 * called by the same code. It keeps a connection alive wherever the server allows (the gateway
 * does; a guest closes every connection after its answer), with a pool large enough that no client
 * waits for another's connection.
 */
public final class HttpLoad implements AutoCloseable {
  /** How long one request may take before it counts as an error. */
  static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final HttpClient http;

  /** A started client for {@code clients} concurrent clients. */
  public HttpLoad(int clients) {
    QueuedThreadPool threads = new QueuedThreadPool(Math.max(8, clients + 4));
    threads.setName("thaw-load-http");
    threads.setDaemon(true);
    http = new HttpClient();
    http.setExecutor(threads);
    http.setMaxConnectionsPerDestination(Math.max(64, clients));
    http.setFollowRedirects(false);
    http.setConnectTimeout(5000);
    // A request waits in the gateway's queue and for a cold start on a silent connection; each
    // request has its own timeout.
    http.setIdleTimeout(ColdBurst.TIMEOUT.toMillis());
    http.setName("thaw-load-http");
    try {
      http.start();
    } catch (Exception e) {
      throw new IllegalStateException("cannot start an HTTP client: " + e.getMessage(), e);
    }
  }

  /**
   * Client {@code i} sends {@code GET} to {@code targets[i % n]}; an answer other than 200 is an
   * error.
   */
  public ClosedLoop.Exchange get(List<URI> targets) {
    List<URI> to = List.copyOf(targets);
    if (to.isEmpty()) {
      throw new IllegalArgumentException("a load needs a target");
    }
    return client -> status(to.get(client % to.size())) == 200;
  }

  /** One {@code GET} of {@code uri}, read whole: its status. */
  public int status(URI uri) throws Exception {
    return send(uri, TIMEOUT).getStatus();
  }

  /** One {@code GET} of {@code uri} within {@code timeout}, its answer read whole. */
  public ContentResponse send(URI uri, Duration timeout) throws Exception {
    return http.newRequest(uri).timeout(timeout.toMillis(), TimeUnit.MILLISECONDS).send();
  }

  @Override
  public void close() {
    try {
      http.stop();
    } catch (Exception e) {
      // Nothing left to report when a client stops.
    }
  }
}
