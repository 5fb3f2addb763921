package dev.thaw.qemu;

import dev.thaw.core.concurrent.DaemonThreads;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * One supervised QEMU process and its QMP connection.
 *
 * <p>No QEMU process outlives the JVM: each is started through {@code setpriv --pdeathsig KILL}
 * from one long-lived launcher thread (the death signal follows the thread that forked, so that
 * thread must live as long as the JVM), which covers a killed JVM; a shutdown hook covers Ctrl-C
 * and normal exit; {@link #close()} covers everything else.
 *
 * <p>QEMU gets only the environment it uses ({@link ChildEnvironment#forQemu}): none of the node's
 * credentials.
 *
 * <p>QEMU connects to a QMP socket that we listen on before starting it, so there is no polling for
 * a socket file to appear: the accept returns as soon as QEMU is ready for commands.
 */
final class QemuProcess implements AutoCloseable {
  /** QEMU's stdout and stderr, in its work directory. */
  private static final String LOG = "qemu.log";

  private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();
  private static final ExecutorService LAUNCHER =
      Executors.newSingleThreadExecutor(DaemonThreads.named("thaw-vmm-launcher"));

  static {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(() -> LIVE.forEach(Process::destroyForcibly), "thaw-vmm-reaper"));
  }

  private static Path socketDir;

  private final Process process;
  private final QmpClient qmp;
  private final Path log;

  private QemuProcess(Process process, QmpClient qmp, Path log) {
    this.process = process;
    this.qmp = qmp;
    this.log = log;
  }

  /**
   * Starts QEMU with {@code arguments} plus a QMP monitor, and waits until QMP is ready.
   *
   * @param env variables QEMU gets beside {@link ChildEnvironment#forQemu}'s
   * @throws QemuStartException when QEMU exits or does not connect within {@code timeout}
   */
  static QemuProcess start(
      String binary,
      List<String> arguments,
      Path workDir,
      Duration timeout,
      Map<String, String> env)
      throws IOException {
    // Unix socket paths are limited to 107 bytes: work directories can be deeper than that.
    Path socket = Files.createTempFile(socketDir(), "qmp-", ".sock");
    Files.delete(socket);
    Path log = workDir.resolve(LOG);
    List<String> command = new ArrayList<>(List.of("setpriv", "--pdeathsig", "KILL", binary));
    command.addAll(arguments);
    command.addAll(
        List.of("-chardev", "socket,id=qmp,path=" + socket, "-mon", "chardev=qmp,mode=control"));
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        Selector selector = Selector.open()) {
      server.bind(UnixDomainSocketAddress.of(socket));
      server.configureBlocking(false);
      server.register(selector, SelectionKey.OP_ACCEPT);
      Process process = launch(command, workDir, log, env);
      LIVE.add(process);
      try {
        SocketChannel channel = awaitConnection(server, selector, process, timeout);
        channel.configureBlocking(true);
        return new QemuProcess(process, QmpClient.open(channel), log);
      } catch (IOException | RuntimeException e) {
        destroy(process);
        throw e;
      }
    } finally {
      Files.deleteIfExists(socket);
    }
  }

  /**
   * One short directory for every QMP socket of this user (each socket is deleted once QEMU has
   * connected), so nothing accumulates however processes end.
   */
  static synchronized Path socketDir() throws IOException {
    if (socketDir == null || !Files.isWritable(socketDir)) {
      Path shared =
          Path.of(
              System.getProperty("java.io.tmpdir"), "thaw-qmp-" + System.getProperty("user.name"));
      Files.createDirectories(shared);
      socketDir = Files.isWritable(shared) ? shared : Files.createTempDirectory("thaw-qmp-");
    }
    return socketDir;
  }

  private static Process launch(
      List<String> command, Path workDir, Path log, Map<String, String> env) throws IOException {
    Map<String, String> all = new TreeMap<>(ChildEnvironment.forQemu(System.getenv()));
    all.putAll(env);
    try {
      return LAUNCHER
          .submit(
              () ->
                  ChildEnvironment.apply(new ProcessBuilder(command), all)
                      .directory(workDir.toFile())
                      .redirectErrorStream(true)
                      .redirectOutput(log.toFile())
                      .start())
          .get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while starting QEMU", e);
    } catch (ExecutionException e) {
      throw new IOException("cannot start " + command.get(3) + ": " + e.getCause().getMessage(), e);
    }
  }

  private static SocketChannel awaitConnection(
      ServerSocketChannel server, Selector selector, Process process, Duration timeout)
      throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      selector.select(20);
      SocketChannel channel = server.accept();
      if (channel != null) {
        return channel;
      }
      if (!process.isAlive()) {
        throw new QemuStartException("QEMU exited with status " + process.exitValue());
      }
    }
    throw new QemuStartException("QEMU did not open its QMP connection within " + timeout);
  }

  QmpClient qmp() {
    return qmp;
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /**
   * What a QEMU process started in {@code workDir} printed on stdout and stderr, also when it never
   * got as far as a {@link QemuProcess}; "" when it left nothing readable.
   */
  static String outputIn(Path workDir) {
    Path log = workDir.resolve(LOG);
    try {
      return Files.exists(log) ? Files.readString(log).strip() : "";
    } catch (IOException e) {
      return "";
    }
  }

  /** What QEMU printed on stdout and stderr. */
  String output() {
    try {
      return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8).strip() : "";
    } catch (IOException e) {
      return "(cannot read " + log + ": " + e.getMessage() + ")";
    }
  }

  /** Waits for QEMU to exit by itself (after {@code quit}), then makes sure it is gone. */
  void awaitExit(Duration timeout) {
    try {
      process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    close();
  }

  @Override
  public void close() {
    try {
      qmp.close();
    } catch (IOException ignored) {
      // The process is killed next; a failed socket close changes nothing.
    }
    destroy(process);
  }

  /** The QEMU process's id ({@code setpriv} execs QEMU in its own process). */
  long pid() {
    return process.pid();
  }

  private static void destroy(Process process) {
    process.destroyForcibly();
    try {
      process.waitFor(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    LIVE.remove(process);
  }
}
