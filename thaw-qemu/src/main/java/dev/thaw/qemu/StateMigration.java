package dev.thaw.qemu;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import tools.jackson.databind.JsonNode;

/**
 * A VM's device state moved through QEMU's migration, to a state file and back, over QMP. Guest RAM
 * lies in a memory file mapped shared by a booted VM, so the migration leaves it out ({@code
 * x-ignore-shared}): a state file holds a few tens of KB and is written or read in milliseconds.
 * QEMU itself writes the file, through {@code cat}; a restore's state is written to QEMU's socket
 * by this process where it can be, else read by QEMU through {@code cat} too.
 */
final class StateMigration {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  /**
   * The longest pause between two polls of a migration's status. A restore's state loads in about
   * 10 ms, and every restore waits for it: with pauses doubling up to 20 ms the completion was seen
   * up to 6 ms late; a poll is one QMP round trip of well under a millisecond.
   */
  private static final long MAX_PAUSE_MICROS = 1_000;

  /**
   * The longest socket path used. A Unix socket address holds 107 bytes and a NUL, and QEMU binds
   * such a path, but the JDK connects to 106 bytes at most ("Unix domain path too long" beyond): a
   * restore whose work directory made the path 107 bytes long failed before this limit was 106.
   */
  static final int MAX_SOCKET_PATH = 106;

  /** The largest state written to QEMU's socket (below Linux's default socket buffer). */
  static final long MAX_SOCKET_STATE = 128 * 1024;

  private final QmpClient qmp;

  StateMigration(QmpClient qmp) {
    this.qmp = qmp;
  }

  /** Writes the state of a stopped VM to {@code stateFile}. */
  void save(Path stateFile) throws IOException {
    qmp.execute("migrate-set-capabilities", ignoreShared());
    qmp.execute("migrate", Map.of("uri", "exec:cat > " + shellQuote(stateFile)));
    awaitCompletion();
  }

  /**
   * Loads {@code stateFile} into a VM started with {@code -incoming defer}. When {@code socket} (a
   * path in the VM's own work directory, which only this user can enter) {@linkplain #socketFits
   * fits}, QEMU listens there and this process writes the state to it: no process is started for
   * the load (QEMU's {@code exec:cat} forks a shell, which runs {@code cat}: about 6 ms of every
   * restore on a busy machine). Otherwise QEMU reads the file through {@code cat}.
   */
  void load(Path stateFile, Path socket) throws IOException {
    if (!socketFits(stateFile, socket)) {
      load(stateFile);
      return;
    }
    try (FileChannel state = FileChannel.open(stateFile, StandardOpenOption.READ)) {
      prepareIncoming();
      qmp.execute("migrate-incoming", Map.of("uri", "unix:" + socket.toAbsolutePath()));
      try (SocketChannel out = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
        long size = state.size();
        for (long sent = 0; sent < size; ) {
          sent += state.transferTo(sent, size - sent, out);
        }
      } finally {
        Files.deleteIfExists(socket);
      }
    }
    awaitCompletion();
  }

  /**
   * Loads {@code stateFile} into a VM started with {@code -incoming defer}, through {@code cat}.
   */
  void load(Path stateFile) throws IOException {
    prepareIncoming();
    qmp.execute("migrate-incoming", Map.of("uri", "exec:cat " + shellQuote(stateFile)));
    awaitCompletion();
  }

  /**
   * Whether a state is loaded through {@code socket}: its path fits a Unix socket address and
   * QEMU's URI, and the state fits the socket's buffer ({@value #MAX_SOCKET_STATE} bytes at most; a
   * built-in function's is about 56 KiB), so that the write never waits for QEMU to read.
   */
  static boolean socketFits(Path stateFile, Path socket) {
    String path = socket.toAbsolutePath().toString();
    if (path.getBytes(StandardCharsets.UTF_8).length > MAX_SOCKET_PATH || path.contains(",")) {
      return false;
    }
    try {
      return Files.size(stateFile) <= MAX_SOCKET_STATE;
    } catch (IOException e) {
      return false; // cat reports it as QEMU sees it
    }
  }

  /**
   * Sets up an incoming migration: RAM is not streamed ({@link #ignoreShared}), and the guest is
   * not asked to announce itself. A migrated VM's network device asks its guest, five times over
   * half a second, to tell the network where it now is (gratuitous ARP, IPv6 neighbour
   * advertisements, netlink notifications): useful to switches when a VM moves, of no use behind
   * QEMU's user network, and costly at a restore, where TCG translates every guest instruction
   * afresh. In {@code thaw bench vm} it was a fifth of the guest code a clone ran before its first
   * answer (10,150 translated blocks with the announcement, 8,000 without), and the first answer
   * took 46 instead of 54 ms (medians of 12 restores).
   */
  private void prepareIncoming() throws IOException {
    qmp.execute("migrate-set-capabilities", ignoreShared());
    qmp.execute("migrate-set-parameters", NO_ANNOUNCE);
  }

  /** Migration parameters for a restore: the guest does not announce itself. */
  static final Map<String, Object> NO_ANNOUNCE = Map.of("announce-rounds", 0);

  /** Migration options for the memory-file method: RAM in the shared file is not streamed. */
  static Map<String, Object> ignoreShared() {
    return Map.of("capabilities", List.of(Map.of("capability", "x-ignore-shared", "state", true)));
  }

  /** {@code file}'s absolute path as one word of QEMU's {@code exec:} shell command. */
  static String shellQuote(Path file) {
    String s = file.toAbsolutePath().toString();
    if (s.contains("'")) {
      throw new IllegalArgumentException("paths with quotes are not supported: " + s);
    }
    return "'" + s + "'";
  }

  private void awaitCompletion() throws IOException {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    long pauseMicros = 200;
    while (System.nanoTime() < deadline) {
      JsonNode info = qmp.execute("query-migrate", Map.of());
      String status = info.path("status").asString("");
      if (status.equals("completed")) {
        return;
      }
      if (status.equals("failed") || status.equals("cancelled")) {
        throw new IOException("migration " + status + ": " + info.path("error-desc").asString(""));
      }
      LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(pauseMicros));
      pauseMicros = Math.min(pauseMicros * 2, MAX_PAUSE_MICROS);
    }
    throw new IOException("migration did not complete within " + TIMEOUT);
  }
}
