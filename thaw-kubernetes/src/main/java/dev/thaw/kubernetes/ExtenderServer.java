package dev.thaw.kubernetes;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * The extender's HTTP endpoint: {@code POST /prioritize}, {@code GET /healthz}, {@code GET /readyz}
 * (ready once the informer has synced) and {@code GET /metrics} (Prometheus text).
 */
public final class ExtenderServer implements AutoCloseable {
  private final SnapshotLocalityExtender extender;
  private final BooleanSupplier ready;
  private final HttpServer server;
  private final PrometheusMeterRegistry meters =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Counter requests = meters.counter("thaw.extender.prioritize.requests");
  private final Counter failures = meters.counter("thaw.extender.prioritize.failures");
  private final Timer latency = meters.timer("thaw.extender.prioritize");

  private ExtenderServer(
      SnapshotLocalityExtender extender, BooleanSupplier ready, String host, int port)
      throws IOException {
    this.extender = extender;
    this.ready = ready;
    this.server = dev.thaw.core.http.HttpServers.create(new InetSocketAddress(host, port), 128);
    server.createContext("/", this::handle);
    server.setExecutor(Executors.newFixedThreadPool(4));
  }

  /** Serves on {@code host:port}; in a pod, host is 0.0.0.0 behind a Service. */
  public static ExtenderServer start(
      SnapshotLocalityExtender extender, BooleanSupplier ready, String host, int port)
      throws IOException {
    ExtenderServer s = new ExtenderServer(extender, ready, host, port);
    s.server.start();
    return s;
  }

  public URI uri() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      if (exchange.getRequestMethod().equals("POST") && path.equals("/prioritize")) {
        requests.increment();
        long t0 = System.nanoTime();
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        String answer;
        try {
          answer = extender.prioritize(body);
        } catch (RuntimeException e) {
          // The scheduler ignores prioritize errors; say what was wrong for whoever reads logs.
          failures.increment();
          send(exchange, 400, "{\"error\":\"" + e.getClass().getSimpleName() + "\"}");
          return;
        }
        latency.record(System.nanoTime() - t0, java.util.concurrent.TimeUnit.NANOSECONDS);
        send(exchange, 200, answer);
      } else if (path.equals("/healthz")) {
        send(exchange, 200, "{\"status\":\"ok\"}");
      } else if (path.equals("/readyz")) {
        boolean ok = ready.getAsBoolean();
        send(exchange, ok ? 200 : 503, ok ? "{\"ready\":true}" : "{\"ready\":false}");
      } else if (path.equals("/metrics")) {
        send(exchange, 200, meters.scrape());
      } else {
        send(exchange, 404, "{\"error\":\"not found\"}");
      }
    }
  }

  private static void send(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
