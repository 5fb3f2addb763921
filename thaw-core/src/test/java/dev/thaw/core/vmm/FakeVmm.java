package dev.thaw.core.vmm;

import com.sun.net.httpserver.HttpServer;
import dev.thaw.core.function.FunctionSpec;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A VMM for unit tests of the decisions above it (snapshot manager, agent, gateway): its "VMs" are
 * HTTP servers on 127.0.0.1 that answer every request with their memory, a line of text (after
 * {@code N} ms when asked {@code ?ms=N}, like the real guest). A boot sets it to {@code booted
 * <function>}; a snapshot writes it at the start of a sparse memory file of the function's size; a
 * restore reads it back, so a clone answers what its snapshot held. Tests script failures by memory
 * content: a restore of a snapshot whose memory is in {@link #dead} times out having run for its
 * deadline, one in {@link #starved} times out having waited for a CPU throughout, one in {@link
 * #corrupt} reports damaged files. Real VMs are tested by the QEMU ITs.
 */
public final class FakeVmm implements Vmm {
  public static final VmmIdentity IDENTITY = new VmmIdentity("fake", "1.0.0", "none", "fake");

  /** Memory contents whose restores time out, as a dead snapshot's clone does. */
  public final Set<String> dead = ConcurrentHashMap.newKeySet();

  /**
   * Memory contents whose restores time out held off the CPU for the whole wait, as a sound
   * snapshot's clone does on a starved machine.
   */
  public final Set<String> starved = ConcurrentHashMap.newKeySet();

  /** Memory contents whose restores fail as damaged files do. */
  public final Set<String> corrupt = ConcurrentHashMap.newKeySet();

  /** Request paths (with their query) that every fake VM answers with 500. */
  public final Set<String> failing = ConcurrentHashMap.newKeySet();

  /** Every restore waits for it to open (a slow restore, e.g. a clone still being verified). */
  public volatile java.util.concurrent.CountDownLatch restoreGate =
      new java.util.concurrent.CountDownLatch(0);

  /** How long each boot takes (a real one takes seconds). */
  public volatile Duration bootTime = Duration.ZERO;

  /** The snapshots it was told to expect restores of ({@link Vmm#expectRestore}), in order. */
  public final List<VmSnapshot> expected = new CopyOnWriteArrayList<>();

  private final AtomicInteger boots = new AtomicInteger();
  private final AtomicInteger restores = new AtomicInteger();
  private final AtomicInteger running = new AtomicInteger();
  private final AtomicInteger ids = new AtomicInteger();

  @Override
  public VmmIdentity identity() {
    return IDENTITY;
  }

  @Override
  public MicroVm boot(FunctionSpec function, Duration readyTimeout) {
    boots.incrementAndGet();
    try {
      Thread.sleep(bootTime.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return new FakeVm(function, "booted " + function.id());
  }

  @Override
  public void expectRestore(VmSnapshot snapshot) {
    expected.add(snapshot);
  }

  @Override
  public MicroVm restore(VmSnapshot snapshot, Duration readyTimeout) {
    return restore(snapshot, RestoreWait.of(readyTimeout));
  }

  @Override
  public MicroVm restore(VmSnapshot snapshot, RestoreWait wait) {
    Duration readyTimeout = wait.running();
    try {
      restoreGate.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new GuestTimeoutException("interrupted while restoring", null, "", e);
    }
    restores.incrementAndGet();
    String memory;
    try {
      memory = readMemory(snapshot.memoryFile());
      Files.readAllBytes(snapshot.stateFile());
    } catch (IOException e) {
      throw new RestoreCorruptException("cannot read the snapshot: " + e, null, null, e);
    }
    if (corrupt.contains(memory)) {
      throw new RestoreCorruptException("snapshot damaged: " + memory, "bad state", null, null);
    }
    if (dead.contains(memory)) {
      throw new GuestTimeoutException(
          "guest did not answer within " + readyTimeout.toMillis() + " ms",
          null,
          "",
          null,
          GuestWait.unstarved(readyTimeout));
    }
    if (starved.contains(memory)) {
      throw new GuestTimeoutException(
          "guest did not answer within " + wait.patience().toMillis() + " ms",
          null,
          "",
          null,
          new GuestWait(wait.patience(), wait.patience()));
    }
    return new FakeVm(snapshot.function(), memory);
  }

  @Override
  public PreparedRestore prepareRestore(FunctionSpec function, Path memoryFile) {
    return new PreparedRestore() {
      private boolean used;

      @Override
      public MicroVm restore(VmSnapshot snapshot, Duration readyTimeout) {
        return restore(snapshot, RestoreWait.of(readyTimeout));
      }

      @Override
      public MicroVm restore(VmSnapshot snapshot, RestoreWait wait) {
        if (used) {
          throw new IllegalStateException("a prepared restore serves one restore");
        }
        used = true;
        return FakeVmm.this.restore(snapshot, wait);
      }

      @Override
      public void close() {
        used = true;
      }
    };
  }

  private final java.util.Map<URI, FakeVm> vms = new ConcurrentHashMap<>();

  /** Makes the guest of the VM at {@code endpoint} stop answering (it crashed); the VM runs on. */
  public void kill(URI endpoint) {
    FakeVm vm = vms.get(endpoint);
    if (vm == null) {
      throw new IllegalArgumentException("no fake VM at " + endpoint);
    }
    vm.server.stop(0);
  }

  /** Boots so far. */
  public int boots() {
    return boots.get();
  }

  /** Restores attempted so far, failed ones included. */
  public int restores() {
    return restores.get();
  }

  /** VMs started and not yet closed. */
  public int running() {
    return running.get();
  }

  private static String readMemory(Path file) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
      byte[] head = new byte[(int) Math.min(4096, f.length())];
      f.readFully(head);
      String s = new String(head, StandardCharsets.UTF_8);
      int end = s.indexOf('\n');
      if (end < 0) {
        throw new IOException("no memory content in " + file);
      }
      return s.substring(0, end);
    }
  }

  private final java.util.concurrent.atomic.AtomicReference<String> lastRequest =
      new java.util.concurrent.atomic.AtomicReference<>("");

  /**
   * The last request any fake VM received: its method, raw path, then each header as {@code "
   * name=value"} in name order (lower case).
   */
  public String lastRequest() {
    return lastRequest.get();
  }

  private static String headersOf(com.sun.net.httpserver.HttpExchange exchange) {
    StringBuilder out = new StringBuilder();
    new java.util.TreeMap<>(exchange.getRequestHeaders())
        .forEach(
            (k, v) ->
                out.append(' ')
                    .append(k.toLowerCase(java.util.Locale.ROOT))
                    .append('=')
                    .append(String.join(",", v)));
    return out.toString();
  }

  /** One fake VM: an HTTP server answering with its memory, or echoing a POST, PUT or PATCH. */
  public final class FakeVm implements MicroVm {
    private final String id = "fake-" + ids.incrementAndGet();
    private final FunctionSpec function;
    private final HttpServer server;
    private final java.util.concurrent.ExecutorService workers =
        java.util.concurrent.Executors.newCachedThreadPool();
    private volatile String memory;
    private volatile VmState state = VmState.RUNNING;

    FakeVm(FunctionSpec function, String memory) {
      this.function = function;
      this.memory = memory;
      try {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(workers);
      } catch (IOException e) {
        throw new BootException("cannot listen: " + e, null, null, e);
      }
      server.createContext(
          "/",
          exchange -> {
            String query = exchange.getRequestURI().getQuery();
            if (query != null && query.startsWith("ms=")) {
              try {
                Thread.sleep(Long.parseLong(query.substring(3)));
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            }
            byte[] sent = exchange.getRequestBody().readAllBytes();
            byte[] body = this.memory.getBytes(StandardCharsets.UTF_8);
            String method = exchange.getRequestMethod();
            lastRequest.set(
                method + " " + exchange.getRequestURI().getRawPath() + headersOf(exchange));
            if (method.equals("POST") || method.equals("PUT") || method.equals("PATCH")) {
              // Echoes the body and its type, as the Python function does.
              body = sent;
              String type = exchange.getRequestHeaders().getFirst("Content-Type");
              if (type != null) {
                exchange.getResponseHeaders().set("Content-Type", type);
              }
            }
            int status = failing.contains(exchange.getRequestURI().toString()) ? 500 : 200;
            exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
          });
      server.start();
      running.incrementAndGet();
      vms.put(endpoint(), this);
    }

    /** Changes what this VM answers (and what a snapshot of it holds). */
    public void write(String memory) {
      if (memory.contains("\n")) {
        throw new IllegalArgumentException("memory is one line");
      }
      this.memory = memory;
    }

    @Override
    public String id() {
      return id;
    }

    @Override
    public VmState state() {
      return state;
    }

    @Override
    public URI endpoint() {
      return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    @Override
    public void pause() {
      state.checkTransition(VmState.PAUSED, "pause");
      state = VmState.PAUSED;
    }

    @Override
    public void resume() {
      state.checkTransition(VmState.RUNNING, "resume");
      state = VmState.RUNNING;
    }

    @Override
    public VmSnapshot snapshot(Path dir) {
      state.checkTransition(VmState.SNAPSHOTTED, "snapshot");
      Path memoryFile = dir.resolve("memory");
      Path stateFile = dir.resolve("state");
      try (RandomAccessFile f = new RandomAccessFile(memoryFile.toFile(), "rw")) {
        f.setLength(function.memoryBytes());
        f.write((memory + "\n").getBytes(StandardCharsets.UTF_8));
        Files.writeString(stateFile, "fake device state of " + id + "\n");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      // A function from an image has a disk layer; the fake's is a line of text.
      Path diskFile = function.fromImage() ? dir.resolve("disk") : null;
      if (diskFile != null) {
        try {
          Files.writeString(diskFile, "fake disk layer of " + id + "\n");
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
      state = VmState.SNAPSHOTTED;
      close();
      return new VmSnapshot(function, IDENTITY, memoryFile, stateFile, diskFile);
    }

    @Override
    public String consoleTail() {
      return "";
    }

    @Override
    public synchronized void close() {
      if (state == VmState.STOPPED) {
        return;
      }
      server.stop(0);
      workers.shutdownNow();
      vms.remove(endpoint());
      state = VmState.STOPPED;
      running.decrementAndGet();
    }
  }
}
