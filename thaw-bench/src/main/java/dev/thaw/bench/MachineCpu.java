package dev.thaw.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * CPU time the whole machine has spent busy, from Linux's {@code /proc/stat}: every core, every
 * process (this JVM with an embedded S3 server, QEMU) and the kernel's own threads (page writeback
 * among them). A benchmark takes the difference around one operation: on a machine with few cores
 * that says what the operation costs, which its latency alone hides.
 */
public final class MachineCpu {
  /** {@code USER_HZ}: the unit of {@code /proc/stat}, 100 on every Linux architecture in use. */
  private static final int TICKS_PER_SECOND = 100;

  private final Path stat;

  private MachineCpu(Path stat) {
    this.stat = stat;
  }

  /** This machine's counters. */
  public static MachineCpu system() {
    return new MachineCpu(Path.of("/proc/stat"));
  }

  /** Counters read from {@code stat}, a file in {@code /proc/stat}'s format. */
  static MachineCpu reading(Path stat) {
    return new MachineCpu(stat);
  }

  /**
   * Milliseconds of busy CPU since boot, summed over cores (resolution 10 ms); empty where {@code
   * /proc/stat} cannot be read (not Linux).
   */
  public OptionalLong busyMillis() {
    String first;
    try {
      first = Files.readAllLines(stat).get(0);
    } catch (IOException | IndexOutOfBoundsException e) {
      return OptionalLong.empty();
    }
    return parse(first);
  }

  /** The busy time of a {@code cpu user nice system idle iowait irq softirq steal …} line. */
  static OptionalLong parse(String line) {
    String[] f = line.trim().split("\\s+");
    if (f.length < 5 || !f[0].equals("cpu")) {
      return OptionalLong.empty();
    }
    long busy = 0;
    // user nice system idle iowait irq softirq steal (guest time is already in user).
    for (int i = 1; i < Math.min(f.length, 9); i++) {
      if (i == 4 || i == 5) {
        continue; // idle, iowait
      }
      busy += Long.parseLong(f[i]);
    }
    return OptionalLong.of(busy * 1000 / TICKS_PER_SECOND);
  }
}
