package dev.thaw.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code thaw launcher}: the container of a function pod. Every request on its port becomes an
 * invocation of the pod's revision on the node-local agent, over the agent's Unix socket (a
 * hostPath): the agent starts the microVM (restore or boot) and keeps it warm while the pod sends
 * work; when the pod terminates the launcher stops and the agent's keep-alive reaps the instance.
 */
@Command(
    name = "launcher",
    mixinStandardHelpOptions = true,
    description = "Serves a function pod's port by invoking its revision on the node's agent.")
final class LauncherCommand implements Callable<Integer> {
  @Option(
      names = "--agent-socket",
      defaultValue = "/run/thaw/agent.sock",
      description = "The agent's Unix socket (default: ${DEFAULT-VALUE}).")
  Path socket;

  @Option(names = "--function", required = true, description = "The revision to serve.")
  String revision;

  @Option(
      names = "--port",
      defaultValue = "8080",
      description = "Port to serve on (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(
      names = "--host",
      defaultValue = "0.0.0.0",
      description = "Address to listen on (default: ${DEFAULT-VALUE}).")
  String host;

  private HttpServer server;

  @Override
  public Integer call() throws Exception {
    start();
    System.out.printf("thaw launcher: %s on %s:%d via %s%n", revision, host, port, socket);
    Daemon.runUntilShutdown("thaw-launcher", this::stop);
    return 0;
  }

  /**
   * Has the agent start the pod's microVM (one health invocation: a restore or a boot), then starts
   * serving; returns the bound port.
   */
  int start() throws IOException {
    Response warmUp = request("POST", "/functions/" + revision + "/instances");
    if (warmUp.status() != 200) {
      throw new IOException(
          "the agent could not start "
              + revision
              + ": "
              + new String(warmUp.body(), StandardCharsets.UTF_8));
    }
    server = dev.thaw.core.http.HttpServers.create(new InetSocketAddress(host, port), 64);
    server.createContext("/", this::handle);
    server.setExecutor(Executors.newCachedThreadPool());
    server.start();
    return server.getAddress().getPort();
  }

  /** Stops serving and has the agent stop the revision's idle instances. */
  void stop() {
    server.stop(0);
    try {
      request("DELETE", "/functions/" + revision + "/instances");
    } catch (IOException e) {
      System.err.println("launcher: could not release " + revision + ": " + e.getMessage());
    }
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      exchange.getRequestBody().transferTo(java.io.OutputStream.nullOutputStream());
      String path = exchange.getRequestURI().getRawPath();
      String query = exchange.getRequestURI().getRawQuery();
      String target = path + (query == null ? "" : "?" + query);
      Response r;
      try {
        r = request("POST", "/functions/" + revision + "/invoke?path=" + target);
      } catch (IOException e) {
        byte[] body =
            ("{\"error\":\"agent unreachable: " + e.getMessage() + "\"}")
                .getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(502, body.length);
        exchange.getResponseBody().write(body);
        return;
      }
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(r.status(), r.body().length == 0 ? -1 : r.body().length);
      if (r.body().length > 0) {
        exchange.getResponseBody().write(r.body());
      }
    }
  }

  record Response(int status, byte[] body) {}

  /** One HTTP/1.1 request over the agent's Unix socket (Connection: close). */
  Response request(String method, String target) throws IOException {
    try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
      String request =
          method
              + " "
              + target
              + " HTTP/1.1\r\nHost: agent\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      channel.write(ByteBuffer.wrap(request.getBytes(StandardCharsets.US_ASCII)));
      InputStream in = Channels.newInputStream(channel);
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      in.transferTo(all);
      byte[] bytes = all.toByteArray();
      String text = new String(bytes, StandardCharsets.ISO_8859_1);
      int headEnd = text.indexOf("\r\n\r\n");
      if (!text.startsWith("HTTP/1.1 ") || headEnd < 0) {
        throw new IOException("not an HTTP answer from the agent");
      }
      int status = Integer.parseInt(text.substring(9, 12));
      byte[] body = java.util.Arrays.copyOfRange(bytes, headEnd + 4, bytes.length);
      return new Response(status, body);
    }
  }
}
