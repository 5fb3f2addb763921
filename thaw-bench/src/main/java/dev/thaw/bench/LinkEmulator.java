package dev.thaw.bench;

import dev.thaw.core.concurrent.DaemonThreads;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A network link between a client and a server on this machine, emulated by a TCP proxy on
 * 127.0.0.1: each direction carries at most {@code bitsPerSecond} (shared by every connection, as
 * one link is) and delivers each byte {@code delay} after it was sent. The kernel's own link
 * emulation ({@code netem}) is not built into this machine's kernel; its rate limiting alone (HTB)
 * is, but would need root and a network namespace of its own.
 *
 * <p>Bytes are forwarded unchanged (TLS, signatures and {@code Host} headers keep working), in
 * pieces of up to 64 KiB whose buffers are reused. Each connection costs four threads; the proxy's
 * own copying and waking costs this process some CPU per byte, which a real link would not.
 */
public final class LinkEmulator implements AutoCloseable {
  private static final Pattern SPEC =
      Pattern.compile("(\\d+(?:\\.\\d+)?)([kmg]?)bit(?:,(\\d+(?:\\.\\d+)?)ms)?");

  /** Largest piece read and sent at once. */
  private static final int PIECE = 64 << 10;

  /** Pieces on the way per direction of a connection (their buffers are reused). */
  private static final int WINDOW = 16;

  private final InetSocketAddress upstream;
  private final double nanosPerByte;
  private final long delayNanos;
  private final ServerSocket listener;
  private final Direction up = new Direction();
  private final Direction down = new Direction();
  private final ExecutorService threads =
      Executors.newCachedThreadPool(DaemonThreads.numbered("thaw-link"));
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  /** What one direction of the link has sent: when its last byte leaves. */
  private static final class Direction {
    private long busyUntil;

    /** Reserves the link for {@code bytes}; returns when their last byte has left. */
    synchronized long send(long now, long sendNanos) {
      busyUntil = Math.max(busyUntil, now) + sendNanos;
      return busyUntil;
    }
  }

  private LinkEmulator(InetSocketAddress upstream, long bitsPerSecond, Duration delay)
      throws IOException {
    if (bitsPerSecond <= 0 || delay.isNegative()) {
      throw new IllegalArgumentException("a link needs a positive rate and a delay of 0 or more");
    }
    this.upstream = upstream;
    this.nanosPerByte = 8e9 / bitsPerSecond;
    this.delayNanos = delay.toNanos();
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    threads.execute(this::accept);
  }

  /** Starts a link to {@code upstream}, listening on 127.0.0.1 on a free port. */
  public static LinkEmulator start(InetSocketAddress upstream, long bitsPerSecond, Duration delay)
      throws IOException {
    return new LinkEmulator(upstream, bitsPerSecond, delay);
  }

  /** Where clients connect instead of {@code upstream}. */
  public InetSocketAddress address() {
    return new InetSocketAddress(listener.getInetAddress(), listener.getLocalPort());
  }

  /** A link's rate and one-way delay, written as {@code 1gbit,0.5ms}. */
  public record Spec(long bitsPerSecond, Duration delay) {
    /** Parses {@code <rate>[k|m|g]bit[,<delay>ms]}; a missing delay is 0. */
    public static Spec parse(String s) {
      Matcher m = SPEC.matcher(s.trim().toLowerCase(Locale.ROOT));
      if (!m.matches()) {
        throw new IllegalArgumentException(
            "not a link: '" + s + "' (a rate and a one-way delay, e.g. 1gbit,0.5ms)");
      }
      double unit =
          switch (m.group(2)) {
            case "k" -> 1e3;
            case "m" -> 1e6;
            case "g" -> 1e9;
            default -> 1;
          };
      long bits = (long) (Double.parseDouble(m.group(1)) * unit);
      double ms = m.group(3) == null ? 0 : Double.parseDouble(m.group(3));
      if (bits <= 0) {
        throw new IllegalArgumentException("a link's rate must be positive: '" + s + "'");
      }
      return new Spec(bits, Duration.ofNanos((long) (ms * 1e6)));
    }

    @Override
    public String toString() {
      return String.format(
          Locale.ROOT,
          "%s, %.2f ms each way",
          bitsPerSecond >= 1e9
              ? String.format(Locale.ROOT, "%.1f Gbit/s", bitsPerSecond / 1e9)
              : String.format(Locale.ROOT, "%.0f Mbit/s", bitsPerSecond / 1e6),
          delay.toNanos() / 1e6);
    }
  }

  private void accept() {
    while (!closed) {
      Socket client;
      try {
        client = listener.accept();
      } catch (IOException e) {
        return; // closed
      }
      Socket server = new Socket();
      try {
        server.connect(upstream, 10_000);
        client.setTcpNoDelay(true);
        server.setTcpNoDelay(true);
      } catch (IOException e) {
        closeQuietly(client);
        closeQuietly(server);
        continue;
      }
      sockets.add(client);
      sockets.add(server);
      AtomicInteger open = new AtomicInteger(2);
      Runnable ended =
          () -> {
            if (open.decrementAndGet() == 0) {
              for (Socket s : List.of(client, server)) {
                closeQuietly(s);
                sockets.remove(s);
              }
            }
          };
      pump(client, server, up, ended);
      pump(server, client, down, ended);
    }
  }

  /**
   * Carries {@code from}'s bytes to {@code to} over {@code direction}: a reader that holds each
   * piece for as long as the link takes to send it, and a writer that delivers it after the delay;
   * {@code ended} runs when this direction is done (both done: the sockets are closed).
   */
  private void pump(Socket from, Socket to, Direction direction, Runnable ended) {
    LinkedBlockingQueue<Piece> inFlight = new LinkedBlockingQueue<>();
    ArrayBlockingQueue<byte[]> free = new ArrayBlockingQueue<>(WINDOW);
    for (int i = 0; i < WINDOW; i++) {
      free.add(new byte[PIECE]);
    }
    threads.execute(
        () -> {
          try {
            InputStream in = from.getInputStream();
            while (true) {
              byte[] buf = free.take(); // all on the way: the sender waits, as on a full link
              int n = in.read(buf);
              if (n <= 0) {
                break;
              }
              long sent = direction.send(System.nanoTime(), (long) (n * nanosPerByte));
              sleepUntil(sent);
              inFlight.add(new Piece(sent + delayNanos, buf, n));
            }
          } catch (IOException e) {
            // Closed or reset: the other side learns it as an end.
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          inFlight.add(new Piece(System.nanoTime() + delayNanos, null, 0));
        });
    threads.execute(
        () -> {
          try {
            OutputStream out = to.getOutputStream();
            while (true) {
              Piece p = inFlight.take();
              sleepUntil(p.due());
              if (p.bytes() == null) {
                to.shutdownOutput();
                break;
              }
              out.write(p.bytes(), 0, p.length());
              out.flush();
              free.add(p.bytes());
            }
          } catch (IOException e) {
            closeQuietly(from);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          } finally {
            ended.run();
          }
        });
  }

  /**
   * {@code length} bytes on the link, due at the far end at {@code due} ({@link
   * System#nanoTime()}); null bytes: the end.
   */
  private record Piece(long due, byte[] bytes, int length) {}

  private static void sleepUntil(long nanoTime) {
    long left;
    while ((left = nanoTime - System.nanoTime()) > 0) {
      LockSupport.parkNanos(left);
    }
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // Closing anyway.
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      listener.close();
    } catch (IOException e) {
      // Closing anyway.
    }
    sockets.forEach(LinkEmulator::closeQuietly);
    threads.shutdownNow();
  }
}
