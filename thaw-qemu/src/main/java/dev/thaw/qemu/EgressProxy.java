package dev.thaw.qemu;

import dev.thaw.core.function.FunctionImage;
import dev.thaw.core.function.FunctionSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.Channel;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One VM's way out: an HTTP proxy on a Unix-domain socket in the VM's work directory, which the
 * VM's restricted network forwards {@value #GUEST_HOST}:{@value #GUEST_PORT} to (a {@code socat}
 * per connection, started by QEMU). The function finds it in {@code HTTP_PROXY} and {@code
 * HTTPS_PROXY}, as programs expect.
 *
 * <p>It takes {@code CONNECT host:port} (any TCP protocol, TLS included, tunnelled as is) and plain
 * HTTP requests in absolute form ({@code GET http://host/path}), each decided by the function's
 * {@link EgressPolicy}; a refusal answers {@code 403} with the reason. At most {@value
 * #MAX_CONNECTIONS} connections at once per VM; one more is answered {@code 503}.
 */
final class EgressProxy implements AutoCloseable {
  /** Where the guest reaches the proxy. Inside the guest network, not an address of the host. */
  static final String GUEST_HOST = "10.0.2.100";

  static final int GUEST_PORT = 3128;

  static final int MAX_CONNECTIONS = 64;

  private static final int MAX_HEAD_BYTES = 16 * 1024;
  private static final int CONNECT_TIMEOUT_MS = 10_000;
  private static final Set<String> HOP_HEADERS =
      Set.of("proxy-connection", "proxy-authorization", "connection", "keep-alive");
  private static final Logger log = LoggerFactory.getLogger(EgressProxy.class);
  private static final AtomicInteger THREADS = new AtomicInteger();

  private final String vm;
  private final Path socket;
  private final EgressPolicy policy;
  private final ServerSocketChannel server;
  private final ExecutorService workers;
  private final Semaphore slots = new Semaphore(MAX_CONNECTIONS);
  private final Set<ByteChannel> open = ConcurrentHashMap.newKeySet();

  private EgressProxy(String vm, Path socket, EgressPolicy policy) throws IOException {
    this.vm = vm;
    this.socket = socket;
    this.policy = policy;
    Files.deleteIfExists(socket);
    this.server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
    this.workers =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "egress-" + THREADS.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    workers.execute(this::acceptLoop);
  }

  /** Starts serving {@code vm}'s egress on {@code socket}. */
  static EgressProxy start(String vm, Path socket, EgressPolicy policy) throws IOException {
    return new EgressProxy(vm, socket, policy);
  }

  /** The VM's egress proxy, on a socket in its work directory. */
  static EgressProxy forVm(FunctionSpec function, Path workDir, Set<Integer> refusedPorts)
      throws IOException {
    Path socket = workDir.resolve("egress.sock").toAbsolutePath();
    // A Unix socket's path holds at most 107 bytes; QEMU's option values hold no ',' or space.
    if (socket.toString().length() > 100 || socket.toString().matches(".*[, ].*")) {
      throw new IOException(
          "the VM work directory "
              + workDir
              + " is too long, or holds ',' or a space, for its egress socket: choose a shorter"
              + " work root");
    }
    return start(
        workDir.getFileName().toString(), socket, EgressPolicy.of(function.egress(), refusedPorts));
  }

  /**
   * The guest's description of a function from an image: a function with egress rules also finds
   * its proxy where programs look for one ({@code HTTP_PROXY}, {@code HTTPS_PROXY} and their
   * lower-case forms), unless its image or deployment set those itself.
   */
  static byte[] guestDescription(FunctionSpec function) {
    FunctionImage image = function.image();
    if (function.egress().isEmpty()) {
      return image.guestDescription();
    }
    String url = guestUrl();
    return image
        .withDefaultEnv(
            List.of(
                "HTTP_PROXY=" + url,
                "HTTPS_PROXY=" + url,
                "http_proxy=" + url,
                "https_proxy=" + url,
                "NO_PROXY=localhost,127.0.0.1",
                "no_proxy=localhost,127.0.0.1"))
        .guestDescription();
  }

  /** QEMU's network option that sends the guest's connections to the proxy to this socket. */
  String guestForward() {
    return "guestfwd=tcp:"
        + GUEST_HOST
        + ":"
        + GUEST_PORT
        + "-cmd:socat - UNIX-CONNECT:"
        + socket.toAbsolutePath();
  }

  /** The proxy's address as the function's environment names it. */
  static String guestUrl() {
    return "http://" + GUEST_HOST + ":" + GUEST_PORT;
  }

  private void acceptLoop() {
    while (server.isOpen()) {
      SocketChannel guest;
      try {
        guest = server.accept();
      } catch (ClosedChannelException e) {
        return;
      } catch (IOException e) {
        log.warn("egress of {}: accept failed: {}", vm, e.toString());
        return;
      }
      if (!slots.tryAcquire()) {
        answerQuietly(guest, 503, "too many connections at once (" + MAX_CONNECTIONS + ")");
        closeQuietly(guest);
        continue;
      }
      open.add(guest);
      workers.execute(
          () -> {
            try {
              serve(guest);
            } finally {
              open.remove(guest);
              closeQuietly(guest);
              slots.release();
            }
          });
    }
  }

  private void serve(SocketChannel guest) {
    String head;
    try {
      head = readHead(guest);
    } catch (IOException e) {
      answerQuietly(guest, 400, e.getMessage());
      return;
    }
    String[] lines = head.split("\r\n");
    String[] request = lines[0].split(" ");
    if (request.length != 3 || !request[2].startsWith("HTTP/1.")) {
      answerQuietly(guest, 400, "not an HTTP/1 request line");
      return;
    }
    boolean tunnel = request[0].equals("CONNECT");
    String host;
    int port;
    String target;
    try {
      if (tunnel) {
        URI authority = new URI("tcp://" + request[1]);
        host = authority.getHost();
        port = authority.getPort();
        target = null;
      } else {
        URI uri = new URI(request[1]);
        if (!"http".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
          answerQuietly(guest, 400, "a proxied request names an http:// URI, or uses CONNECT");
          return;
        }
        host = uri.getHost();
        port = uri.getPort() < 0 ? 80 : uri.getPort();
        target = uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        if (uri.getRawQuery() != null) {
          target += "?" + uri.getRawQuery();
        }
      }
      if (host == null || port < 1 || port > 65535) {
        throw new IllegalArgumentException("no host and port in " + request[1]);
      }
    } catch (Exception e) {
      answerQuietly(guest, 400, "cannot read the destination: " + request[1]);
      return;
    }
    EgressPolicy.Decision decision = policy.decide(host, port);
    if (decision instanceof EgressPolicy.Decision.Refuse refuse) {
      log.info("egress of {}: refused {}:{}: {}", vm, host, port, refuse.why());
      answerQuietly(guest, 403, "egress refused: " + refuse.why());
      return;
    }
    InetSocketAddress to = ((EgressPolicy.Decision.Connect) decision).to();
    SocketChannel remote = null;
    try {
      remote = SocketChannel.open();
      open.add(remote);
      try {
        remote.socket().connect(to, CONNECT_TIMEOUT_MS);
      } catch (IOException e) {
        answerQuietly(guest, 502, "cannot connect to " + host + ":" + port + ": " + e.getMessage());
        return;
      }
      if (tunnel) {
        write(guest, "HTTP/1.1 200 Connection established\r\n\r\n");
      } else {
        write(remote, forwardedHead(request, target, lines));
      }
      relay(guest, remote);
    } catch (IOException e) {
      log.debug("egress of {} to {}: {}", vm, to, e.toString());
    } finally {
      if (remote != null) {
        open.remove(remote);
        closeQuietly(remote);
      }
    }
  }

  /** The request as the destination gets it: origin-form, no proxy headers, one request only. */
  private static String forwardedHead(String[] request, String target, String[] lines) {
    StringBuilder out = new StringBuilder();
    out.append(request[0]).append(' ').append(target).append(' ').append(request[2]).append("\r\n");
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      String name = colon < 0 ? "" : lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT);
      if (!name.isEmpty() && !HOP_HEADERS.contains(name)) {
        out.append(lines[i]).append("\r\n");
      }
    }
    // One request per connection: a second on it could name another host.
    return out.append("Connection: close\r\n\r\n").toString();
  }

  /** Copies both ways until each side has ended its half. */
  private void relay(SocketChannel guest, SocketChannel remote) throws IOException {
    var back =
        workers.submit(
            () -> {
              copy(remote, guest);
              return null;
            });
    copy(guest, remote);
    try {
      back.get();
    } catch (Exception e) {
      // ended by a close on the other side
    }
  }

  private static void copy(SocketChannel from, SocketChannel to) {
    ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
    try {
      while (from.read(buf) >= 0) {
        buf.flip();
        while (buf.hasRemaining()) {
          to.write(buf);
        }
        buf.clear();
      }
      to.shutdownOutput();
    } catch (IOException e) {
      closeQuietly(from);
      closeQuietly(to);
    }
  }

  /** Reads the request head, byte by byte: nothing of a tunnel's payload is consumed with it. */
  private static String readHead(SocketChannel guest) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    ByteBuffer one = ByteBuffer.allocate(1);
    int matched = 0;
    byte[] end = {'\r', '\n', '\r', '\n'};
    while (matched < 4) {
      one.clear();
      if (guest.read(one) < 0) {
        throw new IOException("the connection ended inside the request head");
      }
      byte b = one.get(0);
      head.write(b);
      matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
      if (head.size() > MAX_HEAD_BYTES) {
        throw new IOException("request head over " + MAX_HEAD_BYTES + " bytes");
      }
    }
    return head.toString(StandardCharsets.ISO_8859_1);
  }

  private static void answerQuietly(SocketChannel guest, int status, String reason) {
    String text =
        switch (status) {
          case 400 -> "Bad Request";
          case 403 -> "Forbidden";
          case 502 -> "Bad Gateway";
          default -> "Service Unavailable";
        };
    String body = reason.replaceAll("[\\r\\n]", " ") + "\n";
    try {
      write(
          guest,
          "HTTP/1.1 "
              + status
              + " "
              + text
              + "\r\nContent-Type: text/plain\r\nContent-Length: "
              + body.getBytes(StandardCharsets.UTF_8).length
              + "\r\nConnection: close\r\n\r\n"
              + body);
    } catch (IOException e) {
      // the guest went away first
    }
  }

  private static void write(SocketChannel to, String text) throws IOException {
    ByteBuffer buf = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
    while (buf.hasRemaining()) {
      to.write(buf);
    }
  }

  private static void closeQuietly(Channel c) {
    try {
      c.close();
    } catch (IOException e) {
      // nothing to add
    }
  }

  @Override
  public void close() {
    closeQuietly(server);
    List<ByteChannel> left = new ArrayList<>(open);
    left.forEach(EgressProxy::closeQuietly);
    workers.shutdownNow();
    try {
      Files.deleteIfExists(socket);
    } catch (IOException e) {
      // the work directory goes with the VM
    }
  }
}
