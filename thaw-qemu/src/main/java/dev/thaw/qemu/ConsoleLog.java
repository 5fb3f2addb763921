package dev.thaw.qemu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * A VM's serial console, which QEMU writes to {@value #FILE} in the VM's work directory. It is how
 * the guest tells what it did before its control server answers (that it listens, that its function
 * started or exited), and its tail goes with every failure of the VM.
 */
record ConsoleLog(Path file) {
  static final String FILE = "console.log";

  private static final Duration POLL = Duration.ofMillis(20);

  static ConsoleLog in(Path workDir) {
    return new ConsoleLog(workDir.resolve(FILE));
  }

  /** Everything the guest printed so far, stripped; "" when there is nothing to read. */
  String text() {
    try {
      return Files.exists(file) ? Files.readString(file).strip() : "";
    } catch (IOException e) {
      return "";
    }
  }

  /** The last {@code count} lines. */
  String tail(int count) {
    List<String> lines = text().lines().toList();
    return String.join("\n", lines.subList(Math.max(0, lines.size() - count), lines.size()));
  }

  /**
   * Polls until a line holds {@code line} or {@code orLine}, {@code alive} turns false, or the
   * {@link System#nanoTime} {@code deadline} passes. Returns the line that ended the wait,
   * stripped, or "" if none did.
   */
  String await(String line, String orLine, long deadline, BooleanSupplier alive) {
    while (System.nanoTime() < deadline && alive.getAsBoolean()) {
      for (String l : text().lines().toList()) {
        if (l.contains(orLine) || l.contains(line)) {
          return l.strip();
        }
      }
      LockSupport.parkNanos(POLL.toNanos());
    }
    return "";
  }
}
