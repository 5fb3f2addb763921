package dev.thaw.qemu;

import java.io.IOException;
import java.nio.file.Path;
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
 * QEMU itself reads and writes the file, through {@code cat}.
 */
final class StateMigration {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  /**
   * The longest pause between two polls of a migration's status. A restore's state loads in about
   * 10 ms, and every restore waits for it: with pauses doubling up to 20 ms the completion was seen
   * up to 6 ms late; a poll is one QMP round trip of well under a millisecond.
   */
  private static final long MAX_PAUSE_MICROS = 1_000;

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

  /** Loads {@code stateFile} into a VM started with {@code -incoming defer}. */
  void load(Path stateFile) throws IOException {
    qmp.execute("migrate-set-capabilities", ignoreShared());
    qmp.execute("migrate-incoming", Map.of("uri", "exec:cat " + shellQuote(stateFile)));
    awaitCompletion();
  }

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
