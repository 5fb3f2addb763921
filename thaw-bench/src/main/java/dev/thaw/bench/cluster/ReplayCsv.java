package dev.thaw.bench.cluster;

import dev.thaw.bench.CsvField;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * A replay's results as the two CSV files {@code thaw bench trace} writes: {@code invocations.csv}
 * (one row per invocation, every column of {@link ReplayedInvocation} plus the added latency) and
 * {@code minutes.csv} (per trace minute: invocations, cold starts, errors, mean response time).
 */
public final class ReplayCsv {
  /** The per-invocation file's name. */
  public static final String INVOCATIONS = "invocations.csv";

  /** The per-minute file's name. */
  public static final String MINUTES = "minutes.csv";

  private ReplayCsv() {}

  /** Writes both files into {@code dir}, which is created if need be. */
  public static void write(List<ReplayedInvocation> records, int minutes, Path dir)
      throws IOException {
    Files.createDirectories(dir);
    try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(dir.resolve(INVOCATIONS)))) {
      w.println(
          "function,invocation,minute,start_ms,start,node,source,fetch_ms,restore_or_boot_ms,"
              + "duration_ms,init_ms,response_ms,error");
      for (ReplayedInvocation r : records) {
        w.printf(
            Locale.ROOT,
            "%s,%d,%d,%d,%s,%s,%s,%d,%d,%d,%.1f,%.1f,%s%n",
            r.function(),
            r.invocation(),
            r.minute(),
            r.startMs(),
            r.start(),
            r.node(),
            r.source(),
            r.fetchMs(),
            r.startupMs(),
            r.durationMs(),
            r.initMs(),
            r.responseMs(),
            CsvField.of(r.error()));
      }
    }
    try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(dir.resolve(MINUTES)))) {
      w.println("minute,invocations,cold_starts,errors,mean_response_ms");
      for (int m = 0; m < minutes; m++) {
        int minute = m;
        List<ReplayedInvocation> in = records.stream().filter(r -> r.minute() == minute).toList();
        w.printf(
            Locale.ROOT,
            "%d,%d,%d,%d,%.1f%n",
            m,
            in.size(),
            in.stream().filter(ReplayedInvocation::cold).count(),
            in.stream().filter(ReplayedInvocation::failed).count(),
            in.stream().mapToDouble(ReplayedInvocation::responseMs).average().orElse(0));
      }
    }
  }
}
