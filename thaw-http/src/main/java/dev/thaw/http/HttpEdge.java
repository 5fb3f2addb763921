package dev.thaw.http;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.unixdomain.server.UnixDomainServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Thaw's one HTTP server (Jetty 12) for the agent, the gateway, the launcher and the extender: a
 * table of routes (method and path pattern) over TCP and, optionally, a Unix-domain socket served
 * natively. Every request's body is bounded ({@link Builder#maxBodyBytes}, 413 beyond) and read
 * without holding a thread before its route runs; every connection has a read timeout (a client
 * that stops sending is cut off); and every error is a JSON body {@code {"error":"…"}} written
 * here: {@link HttpRefusal} with its status, what the error mapper turns into an answer, 404 and
 * 405 for unknown routes, 500 for anything unexpected (logged). Headers and body go out in one
 * write.
 *
 * <p>Given a {@link BearerToken} ({@link Builder#token}), the edge refuses every request on TCP to
 * a route not declared open ({@link Builder#openRoute}) unless it carries the token: 401 with
 * {@code WWW-Authenticate: Bearer} and a JSON reason, before its body is read. Requests on the
 * Unix-domain socket are not asked for it: the socket file's mode (0660, set here) already limits
 * who may connect, which is the credential there. Given {@link SessionCookies} ({@link
 * Builder#sessions}) too, a browser's session cookie stands in for the token (see there).
 */
public final class HttpEdge implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HttpEdge.class);

  /** Answers one request. */
  @FunctionalInterface
  public interface Handler {
    HttpAnswer handle(HttpCall call) throws Exception;
  }

  /** One route: a method ({@code *} for any) and a path pattern, open or behind the token. */
  record Route(String method, Pattern path, Handler handler, boolean open) {}

  /** Owner and group may read and write: who may connect to the Unix-domain socket. */
  private static final java.util.Set<PosixFilePermission> SOCKET_MODE =
      PosixFilePermissions.fromString("rw-rw----");

  private final Server server;
  private final ServerConnector tcp;
  private final Optional<Path> unix;

  private HttpEdge(Builder b) throws IOException {
    QueuedThreadPool threads = new QueuedThreadPool(b.maxThreads, Math.min(4, b.maxThreads));
    threads.setName(b.name);
    threads.setDaemon(true);
    server = new Server(threads);
    HttpConfiguration config = new HttpConfiguration();
    config.setSendServerVersion(false);
    config.setSendDateHeader(false);
    config.setRequestHeaderSize(16 << 10);
    // Paths pass as sent: an empty segment (/fn/a//b) is the function's business. Jetty's other
    // ambiguities (encoded separators and dot segments) stay refused.
    config.setUriCompliance(
        UriCompliance.DEFAULT.with("thaw", UriCompliance.Violation.AMBIGUOUS_EMPTY_SEGMENT));
    tcp = new ServerConnector(server, 1, 1, new HttpConnectionFactory(config));
    tcp.setHost(b.host);
    tcp.setPort(b.port);
    tcp.setIdleTimeout(b.idleTimeout.toMillis());
    server.addConnector(tcp);
    unix = Optional.ofNullable(b.unixSocket);
    if (b.unixSocket != null) {
      // A socket file left by a killed process would make the bind fail.
      Files.deleteIfExists(b.unixSocket);
      Files.createDirectories(b.unixSocket.toAbsolutePath().getParent());
      UnixDomainServerConnector u =
          new UnixDomainServerConnector(server, 1, 1, new HttpConnectionFactory(config));
      u.setUnixDomainPath(b.unixSocket);
      u.setIdleTimeout(b.idleTimeout.toMillis());
      server.addConnector(u);
    }
    server.setHandler(
        new EdgeDispatcher(
            List.copyOf(b.routes),
            b.errors,
            b.maxBodyBytes,
            Optional.ofNullable(b.token),
            Optional.ofNullable(b.sessions),
            tcp));
    try {
      server.start();
      if (b.unixSocket != null) {
        Files.setPosixFilePermissions(b.unixSocket, SOCKET_MODE);
      }
    } catch (Exception e) {
      close();
      throw new IOException(
          "cannot serve " + b.name + " on " + b.host + ":" + b.port + ": " + e.getMessage(), e);
    }
  }

  /** A server named {@code name} (its threads' name). */
  public static Builder builder(String name) {
    return new Builder(name);
  }

  /** The TCP address, e.g. {@code http://127.0.0.1:8700}. */
  public URI uri() {
    String host =
        tcp.getHost() == null || tcp.getHost().equals("0.0.0.0") ? "127.0.0.1" : tcp.getHost();
    return URI.create("http://" + host + ":" + tcp.getLocalPort());
  }

  public int port() {
    return tcp.getLocalPort();
  }

  /** The Unix-domain socket it also serves on, if any. */
  public Optional<Path> unixSocket() {
    return unix;
  }

  @Override
  public void close() {
    try {
      server.stop();
    } catch (Exception e) {
      log.debug("stopping the HTTP server: {}", e.getMessage());
    }
  }

  /** Builder: 127.0.0.1, any free port, 1 MiB bodies, 30 s read timeout, 64 threads. */
  public static final class Builder {
    private final String name;
    private String host = "127.0.0.1";
    private int port;
    private Path unixSocket;
    private long maxBodyBytes = 1L << 20;
    private Duration idleTimeout = Duration.ofSeconds(30);
    private int maxThreads = 64;
    private final List<Route> routes = new ArrayList<>();
    private BearerToken token;
    private SessionCookies sessions;
    private Function<RuntimeException, Optional<HttpAnswer>> errors = e -> Optional.empty();

    private Builder(String name) {
      this.name = Objects.requireNonNull(name);
    }

    /** Where to listen on TCP; port 0 picks a free one. */
    public Builder tcp(String host, int port) {
      this.host = Objects.requireNonNull(host);
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be within 0..65535: " + port);
      }
      this.port = port;
      return this;
    }

    /**
     * Also serve on this Unix-domain socket (its path must be under 108 bytes). The socket file is
     * made readable and writable by its owner and group only (0660): that mode is what lets a
     * client in there, the {@link #token} is not asked for.
     */
    public Builder unix(Path socket) {
      this.unixSocket = socket;
      return this;
    }

    /** Longest request body accepted; longer ones get 413. */
    public Builder maxBodyBytes(long maxBodyBytes) {
      if (maxBodyBytes < 0) {
        throw new IllegalArgumentException("maxBodyBytes must not be negative");
      }
      this.maxBodyBytes = maxBodyBytes;
      return this;
    }

    /** How long a connection may stay silent (mid-request or between requests). */
    public Builder idleTimeout(Duration idleTimeout) {
      this.idleTimeout = Objects.requireNonNull(idleTimeout);
      return this;
    }

    public Builder maxThreads(int maxThreads) {
      if (maxThreads < 8) {
        throw new IllegalArgumentException("maxThreads must be at least 8 (Jetty's own use some)");
      }
      this.maxThreads = maxThreads;
      return this;
    }

    /**
     * Routes {@code method} requests ({@code "*"}: any method) whose decoded path matches {@code
     * pathRegex}; the first route that matches serves.
     */
    public Builder route(String method, String pathRegex, Handler handler) {
      routes.add(
          new Route(method, Pattern.compile(pathRegex), Objects.requireNonNull(handler), false));
      return this;
    }

    /** As {@link #route}, but served without the {@link #token} too. */
    public Builder openRoute(String method, String pathRegex, Handler handler) {
      routes.add(
          new Route(method, Pattern.compile(pathRegex), Objects.requireNonNull(handler), true));
      return this;
    }

    /**
     * Requires {@code token} (as {@code Authorization: Bearer}) on TCP for every route but the
     * {@link #openRoute open} ones. Without it every route is open.
     */
    public Builder token(BearerToken token) {
      this.token = Objects.requireNonNull(token);
      return this;
    }

    /**
     * Also admits, in place of the {@link #token}, a request whose cookie carries one of {@code
     * sessions} (a browser's); one that changes something (not GET or HEAD) must carry {@link
     * SessionCookies#HEADER} as well.
     */
    public Builder sessions(SessionCookies sessions) {
      this.sessions = Objects.requireNonNull(sessions);
      return this;
    }

    /** Turns domain exceptions into answers (else 500). */
    public Builder errors(Function<RuntimeException, Optional<HttpAnswer>> errors) {
      this.errors = Objects.requireNonNull(errors);
      return this;
    }

    /** Starts serving. */
    public HttpEdge start() throws IOException {
      return new HttpEdge(this);
    }
  }
}
