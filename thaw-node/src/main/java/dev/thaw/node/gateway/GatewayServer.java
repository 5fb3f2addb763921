package dev.thaw.node.gateway;

import static dev.thaw.node.http.HttpJson.json;
import static dev.thaw.node.http.HttpJson.send;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.thaw.node.http.HttpJson;
import dev.thaw.node.protocol.Refused;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The gateway's HTTP API on 127.0.0.1.
 *
 * <pre>
 *   POST /functions/{revision}/invoke[?path=/x]   the function's answer; X-Thaw-* headers
 *                                                say where and how it ran
 *   GET  /nodes                                  the gateway's view of every node
 *   GET  /health
 * </pre>
 */
public final class GatewayServer implements AutoCloseable {
  private static final Pattern INVOKE = Pattern.compile("/functions/([^/]+)/invoke");

  private final Gateway gateway;
  private final HttpServer server;
  private final ExecutorService workers = Executors.newCachedThreadPool();

  private GatewayServer(Gateway gateway, int port) throws IOException {
    this.gateway = gateway;
    this.server =
        dev.thaw.core.http.HttpServers.create(new InetSocketAddress("127.0.0.1", port), 128);
    server.createContext("/", this::handle);
    server.setExecutor(workers);
  }

  public static GatewayServer start(Gateway gateway, int port) throws IOException {
    GatewayServer s = new GatewayServer(gateway, port);
    s.server.start();
    return s;
  }

  public URI uri() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  private void handle(HttpExchange exchange) throws IOException {
    try {
      String path = exchange.getRequestURI().getPath();
      Matcher invoke = INVOKE.matcher(path);
      exchange.getRequestBody().transferTo(java.io.OutputStream.nullOutputStream());
      if (exchange.getRequestMethod().equals("POST") && invoke.matches()) {
        String query = exchange.getRequestURI().getQuery();
        String fnPath = query != null && query.startsWith("path=/") ? query.substring(5) : "/";
        Gateway.Result r = gateway.invoke(HttpJson.revision(invoke.group(1)), fnPath);
        r.served().writeTo(exchange.getResponseHeaders()::set);
        exchange
            .getResponseHeaders()
            .set(
                "X-Thaw-Placement-Ms",
                String.format(java.util.Locale.ROOT, "%.3f", r.placement().toNanos() / 1e6));
        send(exchange, r.status(), "application/json", r.body());
      } else if (path.equals("/nodes")) {
        json(exchange, 200, gateway.nodes());
      } else if (path.equals("/health")) {
        json(exchange, 200, Map.of("status", "ok"));
      } else {
        json(exchange, 404, Map.of("error", "no such endpoint: " + path));
      }
    } catch (Refused e) {
      json(exchange, Refused.httpStatus(e.kind()), Map.of("error", e.getMessage()));
    } finally {
      exchange.close();
    }
  }

  @Override
  public void close() {
    server.stop(0);
    workers.shutdownNow();
  }
}
