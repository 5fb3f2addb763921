package dev.thaw.node.http;

import dev.thaw.core.concurrent.DaemonThreads;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves a loopback TCP server on a Unix socket too, by relaying bytes: local clients (the launcher
 * in a function pod, via a hostPath) reach the agent's API without a TCP port, and file permissions
 * on the socket decide who may.
 */
public final class UnixSocketRelay implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(UnixSocketRelay.class);

  private final Path socket;
  private final InetSocketAddress target;
  private final ServerSocketChannel server;
  private final ExecutorService threads =
      Executors.newCachedThreadPool(DaemonThreads.named("thaw-uds-relay"));

  private UnixSocketRelay(Path socket, InetSocketAddress target) throws IOException {
    this.socket = socket;
    this.target = target;
    Files.deleteIfExists(socket);
    Files.createDirectories(socket.toAbsolutePath().getParent());
    this.server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
  }

  /** Listens on {@code socket} and relays every connection to {@code target}. */
  public static UnixSocketRelay start(Path socket, InetSocketAddress target) throws IOException {
    UnixSocketRelay relay = new UnixSocketRelay(socket, target);
    relay.threads.execute(relay::acceptLoop);
    return relay;
  }

  public Path socket() {
    return socket;
  }

  private void acceptLoop() {
    while (server.isOpen()) {
      try {
        SocketChannel client = server.accept();
        SocketChannel upstream = SocketChannel.open(target);
        java.util.concurrent.atomic.AtomicInteger open =
            new java.util.concurrent.atomic.AtomicInteger(2);
        Runnable done =
            () -> {
              if (open.decrementAndGet() == 0) {
                closeQuietly(client);
                closeQuietly(upstream);
              }
            };
        threads.execute(() -> pump(client, upstream, done));
        threads.execute(() -> pump(upstream, client, done));
      } catch (IOException e) {
        if (server.isOpen()) {
          log.warn("unix socket relay {}: {}", socket, e.getMessage());
        }
      }
    }
  }

  /** Copies one direction until EOF, then half-closes the other side. */
  private static void pump(SocketChannel from, SocketChannel to, Runnable done) {
    ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
    try {
      while (from.read(buffer) >= 0) {
        buffer.flip();
        while (buffer.hasRemaining()) {
          to.write(buffer);
        }
        buffer.clear();
      }
      to.shutdownOutput();
    } catch (IOException e) {
      closeQuietly(from);
      closeQuietly(to);
    } finally {
      done.run();
    }
  }

  private static void closeQuietly(SocketChannel c) {
    try {
      c.close();
    } catch (IOException ignored) {
      // Already gone.
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    threads.shutdownNow();
    Files.deleteIfExists(socket);
  }
}
