package dev.thaw.bench.demo;

import dev.thaw.bench.CsvField;
import dev.thaw.bench.TextTable;
import dev.thaw.bench.TextTable.Column;
import dev.thaw.core.stats.LatencySummary;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * What a run of {@code thaw demo} recorded: every invocation under every configuration. The demo's
 * figures are its cold starts after round 1 (round 1 boots every function to create its snapshot);
 * this gives them per configuration, as the table and as the CSV of every invocation.
 *
 * @param configurations the configurations in the order they ran
 * @param invocations every invocation in the order it was made
 */
public record DemoResults(
    List<DemoConfiguration> configurations, List<DemoInvocation> invocations) {
  /** The CSV's name in the output directory (the report links to it). */
  public static final String CSV = "demo-invocations.csv";

  public DemoResults {
    configurations = List.copyOf(configurations);
    invocations = List.copyOf(invocations);
  }

  /** The latencies of the cold starts after round 1 under {@code configuration}, in ms. */
  public List<Double> coldStartMs(DemoConfiguration configuration) {
    return coldStarts(configuration).stream().map(DemoInvocation::latencyMs).toList();
  }

  /** Whether any invocation failed. */
  public boolean anyFailed() {
    return invocations.stream().anyMatch(DemoInvocation::failed);
  }

  /**
   * The cold starts after round 1 per configuration: count, mean and percentiles of their latency,
   * the share restored from a node's local snapshot, and how many booted without a snapshot.
   */
  public String table() {
    TextTable table =
        TextTable.of(
            Column.left("configuration", 32),
            Column.right("n", 6),
            Column.right("mean ms", 8),
            Column.right("p50 ms", 8),
            Column.right("p90 ms", 8),
            Column.right("p99 ms", 8),
            Column.right("local hits", 10),
            Column.right("boots", 8));
    for (DemoConfiguration c : configurations) {
      List<DemoInvocation> cold = coldStarts(c);
      if (cold.isEmpty()) {
        table.row(c.name(), 0, "-", "-", "-", "-", "-", "-");
        continue;
      }
      LatencySummary s = LatencySummary.of(coldStartMs(c));
      long local = cold.stream().filter(r -> r.source().equals("local")).count();
      long boots = cold.stream().filter(DemoInvocation::booted).count();
      table.row(
          c.name(),
          s.count(),
          ms(s.mean()),
          ms(s.p50()),
          ms(s.p90()),
          ms(s.p99()),
          String.format(Locale.ROOT, "%.0f%%", 100.0 * local / cold.size()),
          boots);
    }
    return table.render();
  }

  /** Writes every invocation to {@value #CSV} in {@code dir} (created if need be); its path. */
  public Path writeCsv(Path dir) throws IOException {
    Files.createDirectories(dir);
    Path csv = dir.resolve(CSV);
    try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(csv))) {
      w.println(
          "configuration,round,function,node,start,source,placement_ms,fetch_ms,startup_ms,latency_ms,error");
      for (DemoInvocation r : invocations) {
        w.printf(
            Locale.ROOT,
            "%s,%d,%s,%s,%s,%s,%s,%d,%d,%.1f,%s%n",
            CsvField.of(r.configuration()),
            r.round(),
            r.function(),
            r.node(),
            r.start(),
            r.source(),
            r.placementMs(),
            r.fetchMs(),
            r.startupMs(),
            r.latencyMs(),
            CsvField.of(r.error()));
      }
    }
    return csv;
  }

  private List<DemoInvocation> coldStarts(DemoConfiguration configuration) {
    return invocations.stream()
        .filter(r -> r.configuration().equals(configuration.name()))
        .filter(DemoInvocation::measuredColdStart)
        .toList();
  }

  private static String ms(double v) {
    return String.format(Locale.ROOT, "%.0f", v);
  }
}
