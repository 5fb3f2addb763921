package dev.thaw.qemu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * How long a process's threads have waited for a CPU since a moment: Linux's per-thread {@code
 * /proc/PID/task/TID/schedstat}, whose second field is the nanoseconds the thread spent runnable
 * but not running (on a run queue). A guest that a starved machine holds off the CPU shows it
 * there; a guest halted in its idle loop does not (its threads sleep, which is not a wait for a
 * CPU).
 *
 * <p>Where the file cannot be read (another OS, a process gone) every wait reads as zero, and a
 * wait for the guest falls back to the wall clock alone.
 */
final class CpuWaits {
  private final Path tasks;
  private final Map<String, Long> start;

  /** Starts counting the waits of {@code tasks}' threads (a {@code /proc/PID/task} directory). */
  CpuWaits(Path tasks) {
    this.tasks = tasks;
    this.start = read(tasks);
  }

  /** Starts counting the waits of process {@code pid}'s threads. */
  static CpuWaits of(long pid) {
    return new CpuWaits(Path.of("/proc", Long.toString(pid), "task"));
  }

  /**
   * The longest time any one thread has waited for a CPU since this began (a thread started since
   * counts from its start): a lower bound of the time the process as a whole could not run.
   */
  Duration heldOff() {
    long longest = 0;
    for (var e : read(tasks).entrySet()) {
      longest = Math.max(longest, e.getValue() - start.getOrDefault(e.getKey(), 0L));
    }
    return Duration.ofNanos(longest);
  }

  /** Each thread's run-queue wait in nanoseconds, by thread id; empty when unreadable. */
  private static Map<String, Long> read(Path tasks) {
    Map<String, Long> waits = new HashMap<>();
    try (Stream<Path> threads = Files.list(tasks)) {
      threads.forEach(
          t -> {
            try {
              String[] fields = Files.readString(t.resolve("schedstat")).trim().split("\\s+");
              if (fields.length >= 2) {
                waits.put(t.getFileName().toString(), Long.parseLong(fields[1]));
              }
            } catch (IOException | NumberFormatException e) {
              // The thread ended between the listing and the read, or the kernel keeps no stats.
            }
          });
    } catch (IOException e) {
      return Map.of();
    }
    return waits;
  }
}
