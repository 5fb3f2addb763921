package dev.thaw.qemu;

import dev.thaw.core.logs.LogSink;
import dev.thaw.core.logs.LogStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A function's stdout and stderr, read on the host. The VM has a virtio serial device with two
 * ports, {@code thaw.stdout} and {@code thaw.stderr}, which the guest gives the function as its
 * file descriptors 1 and 2 (see {@code guest/thaw-guest.c}); each port's host end is a Unix socket
 * that QEMU connects to when it starts, and a thread here reads it, cuts it into lines and hands
 * each to a {@link LogSink}.
 *
 * <p>Reading is the function's back-pressure: both streams of a VM share one rate ({@code
 * bytesPerSecond}); past it the reader waits, the port's queue fills, and the function's writes
 * block, so a function that floods its output sleeps instead of spinning its vCPU, and costs the
 * node a bounded rate of log writes (Docker's default "blocking" log mode does the same).
 *
 * <p>A clone restores the device with its queues, so what the function wrote before the snapshot,
 * already read from the snapshotted VM, is not read again from its clones. Lines longer than
 * {@value #MAX_LINE} bytes are cut at that length; bytes that are not UTF-8 become U+FFFD.
 */
final class FunctionOutput implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FunctionOutput.class);

  /** Longest line handed over in one piece. */
  static final int MAX_LINE = 16 * 1024;

  private final String function;
  private final String instance;
  private final LogSink sink;
  private final Rate rate;
  private final Map<LogStream, Path> sockets = new EnumMap<>(LogStream.class);
  private final List<ServerSocketChannel> servers = new ArrayList<>();
  private final List<Thread> readers = new ArrayList<>();
  private volatile boolean closed;

  private FunctionOutput(
      String function, String instance, LogSink sink, long bytesPerSecond, Path dir)
      throws IOException {
    this.function = function;
    this.instance = instance;
    this.sink = sink;
    this.rate = new Rate(bytesPerSecond, System::nanoTime);
    try {
      for (LogStream stream : LogStream.values()) {
        Path socket = Files.createTempFile(dir, "out-", ".sock");
        Files.delete(socket);
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        servers.add(server);
        server.bind(UnixDomainSocketAddress.of(socket));
        sockets.put(stream, socket);
        Thread reader = new Thread(() -> read(stream, server), "output-" + instance + "-" + stream);
        reader.setDaemon(true);
        readers.add(reader);
      }
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
    readers.forEach(Thread::start);
  }

  /**
   * Listens for the outputs of {@code instance}, a VM of {@code function}, on sockets in {@code
   * dir}; lines go to {@code sink} at no more than {@code bytesPerSecond} (both streams together).
   */
  static FunctionOutput listen(
      String function, String instance, LogSink sink, long bytesPerSecond, Path dir)
      throws IOException {
    if (bytesPerSecond <= 0) {
      throw new IllegalArgumentException("output rate must be positive: " + bytesPerSecond);
    }
    return new FunctionOutput(function, instance, sink, bytesPerSecond, dir);
  }

  /**
   * QEMU's options for the device and its two ports. Boots and restores of a function need the same
   * device at the same place, after the disks.
   */
  List<String> qemuArgs() {
    List<String> args = new ArrayList<>(List.of("-device", "virtio-serial-device,id=out"));
    for (LogStream stream : LogStream.values()) {
      String id = "fn" + stream.label();
      args.addAll(
          List.of(
              "-chardev",
              "socket,id=" + id + ",path=" + sockets.get(stream),
              "-device",
              "virtserialport,bus=out.0,chardev=" + id + ",name=thaw." + stream.label()));
    }
    return args;
  }

  private void read(LogStream stream, ServerSocketChannel server) {
    try (SocketChannel channel = server.accept()) {
      Files.deleteIfExists(sockets.get(stream));
      ByteBuffer buf = ByteBuffer.allocate(8192);
      Lines lines = new Lines(text -> sink.line(function, instance, stream, text));
      int n;
      while ((n = channel.read(buf.clear())) > 0) {
        lines.add(buf.array(), n);
        rate.take(n);
      }
      lines.end();
    } catch (IOException e) {
      if (!closed) {
        log.debug("{} of {} ended: {}", stream.label(), instance, e.getMessage());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      log.warn("{} of {}: a line could not be kept: {}", stream.label(), instance, e.toString());
    }
  }

  @Override
  public void close() {
    closed = true;
    for (ServerSocketChannel s : servers) {
      try {
        s.close();
      } catch (IOException e) {
        // closing
      }
    }
    readers.forEach(Thread::interrupt);
    sockets.values().forEach(FunctionOutput::deleteQuietly);
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      // a temporary socket name
    }
  }

  /** Cuts bytes into lines: at each {@code \n} (a {@code \r} before it dropped), or at MAX_LINE. */
  static final class Lines {
    private final java.util.function.Consumer<String> out;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();

    Lines(java.util.function.Consumer<String> out) {
      this.out = out;
    }

    void add(byte[] b, int n) {
      int start = 0;
      for (int i = 0; i < n; i++) {
        if (b[i] == '\n') {
          line.write(b, start, i - start);
          emit();
          start = i + 1;
        } else if (line.size() + (i - start + 1) == MAX_LINE) {
          line.write(b, start, i - start + 1);
          emit();
          start = i + 1;
        }
      }
      line.write(b, start, n - start);
    }

    /** The output ended: what is left is a last line without its end. */
    void end() {
      if (line.size() > 0) {
        emit();
      }
    }

    private void emit() {
      byte[] bytes = line.toByteArray();
      int len =
          bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
      out.accept(new String(bytes, 0, len, StandardCharsets.UTF_8));
      line.reset();
    }
  }

  /**
   * A byte rate shared by a VM's readers, as a token bucket holding one second's worth: {@link
   * #take} waits while the readers are ahead of it.
   */
  static final class Rate {
    private final long bytesPerSecond;
    private final LongSupplier clock;
    private double tokens;
    private long last;

    Rate(long bytesPerSecond, LongSupplier clock) {
      this.bytesPerSecond = bytesPerSecond;
      this.clock = clock;
      this.tokens = bytesPerSecond;
      this.last = clock.getAsLong();
    }

    /** Counts {@code n} bytes read; sleeps as long as the readers are ahead of the rate. */
    void take(long n) throws InterruptedException {
      long wait = debit(n);
      if (wait > 0) {
        TimeUnit.NANOSECONDS.sleep(wait);
      }
    }

    /** Takes {@code n} bytes' tokens; returns how long to wait for the debt to be paid, in ns. */
    synchronized long debit(long n) {
      long now = clock.getAsLong();
      tokens = Math.min(bytesPerSecond, tokens + (now - last) * (double) bytesPerSecond / 1e9);
      last = now;
      tokens -= n;
      return tokens < 0 ? (long) (-tokens * 1e9 / bytesPerSecond) : 0;
    }
  }
}
