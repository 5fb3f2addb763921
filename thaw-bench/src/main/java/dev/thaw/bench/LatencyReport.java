package dev.thaw.bench;

import dev.thaw.bench.TextTable.Column;
import dev.thaw.bench.plot.LatencyCharts;
import dev.thaw.bench.plot.ReportPage;
import dev.thaw.core.stats.LatencySummary;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Latencies of several configurations as a person would look at them: a summary table and the plots
 * of {@link LatencyCharts} — percentile boxes, tail percentiles and the CDF — as PNG files plus one
 * self-contained HTML page that says where its numbers came from.
 *
 * <p>The table and the plots show the same {@link LatencySummary} percentiles (nearest rank), never
 * means: a long-tailed sample's mean describes none of its samples.
 */
public final class LatencyReport {
  private final String title;
  private final Map<String, List<Double>> samples = new LinkedHashMap<>();
  private Optional<Provenance> provenance = Optional.empty();

  /**
   * Where a report's numbers came from, printed at its top.
   *
   * @param command the command line that produced them
   * @param machine the machine it ran on
   * @param csv the per-sample file the report is drawn from, linked from the page; may be null
   */
  public record Provenance(String command, String machine, Path csv) {
    public Provenance {
      Objects.requireNonNull(command, "command");
      Objects.requireNonNull(machine, "machine");
    }

    /** This machine: cores, memory, operating system and architecture. */
    public static String thisMachine() {
      long mib = -1;
      if (ManagementFactory.getOperatingSystemMXBean()
          instanceof com.sun.management.OperatingSystemMXBean os) {
        mib = os.getTotalMemorySize() >> 20;
      }
      return String.format(
          Locale.ROOT,
          "%d cores, %s MiB, %s (%s)",
          Runtime.getRuntime().availableProcessors(),
          mib < 0 ? "?" : String.format(Locale.ROOT, "%,d", mib),
          System.getProperty("os.name"),
          System.getProperty("os.arch"));
    }
  }

  /** A report with this title and no samples yet. */
  public LatencyReport(String title) {
    this.title = title;
  }

  /** Says where the numbers came from, at the top of the page. */
  public LatencyReport provenance(Provenance provenance) {
    this.provenance = Optional.of(provenance);
    return this;
  }

  /** Adds a configuration's latencies in ms (in the order configurations should appear). */
  public LatencyReport add(String configuration, List<Double> latenciesMs) {
    if (!latenciesMs.isEmpty()) {
      samples.put(configuration, List.copyOf(latenciesMs));
    }
    return this;
  }

  /** Each configuration's summary, in the order they were added. */
  public Map<String, LatencySummary> summaries() {
    return charts().summaries();
  }

  /** The plots of the samples added so far. */
  public LatencyCharts charts() {
    return new LatencyCharts(samples);
  }

  /**
   * Writes {@code boxplot.png}, {@code tail.png}, {@code cdf.png} and {@code report.html} (the PNGs
   * inlined) into {@code dir}.
   *
   * @return the HTML page
   */
  public Path write(Path dir) throws IOException {
    StringBuilder html = new StringBuilder();
    html.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>")
        .append(ReportPage.escape(title))
        .append("</title><style>body{font-family:sans-serif;margin:2em;max-width:960px}")
        .append("table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;")
        .append("text-align:right}th:first-child,td:first-child{text-align:left}")
        .append(".src{color:#444;font-size:90%}</style></head><body><h1>")
        .append(ReportPage.escape(title))
        .append("</h1>")
        .append(source(dir))
        .append(table())
        .append("<p class=\"src\">Percentiles by nearest rank: the p-th percentile of n sorted")
        .append(" values is the one at rank &lceil;p/100&middot;n&rceil;; the plots draw these")
        .append(" same values.</p>");
    if (samples.isEmpty()) {
      html.append("<p>No samples.</p>");
    }
    return ReportPage.write(html, charts().all(), dir);
  }

  private String source(Path dir) {
    StringBuilder s = new StringBuilder("<p class=\"src\">");
    s.append("Made ").append(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    provenance.ifPresent(
        p -> {
          s.append(" by <code>").append(ReportPage.escape(p.command())).append("</code>");
          s.append(" on ").append(ReportPage.escape(p.machine()));
          if (p.csv() != null) {
            Path csv = p.csv().toAbsolutePath();
            Path base = dir.toAbsolutePath();
            String href =
                csv.startsWith(base) ? base.relativize(csv).toString() : csv.toUri().toString();
            s.append(". Every sample: <a href=\"")
                .append(ReportPage.escape(href))
                .append("\">")
                .append(ReportPage.escape(p.csv().getFileName().toString()))
                .append("</a>");
          }
        });
    return s.append(".</p>").toString();
  }

  /** The summary as a plain-text table, for terminals. */
  public String textTable() {
    TextTable t =
        TextTable.of(
            Column.left("configuration", 32),
            Column.right("n", 6),
            Column.right("p10", 8),
            Column.right("p50", 8),
            Column.right("p90", 8),
            Column.right("p95", 8),
            Column.right("p99", 8),
            Column.right("max", 8));
    summaries()
        .forEach(
            (k, v) ->
                t.row(
                    k,
                    v.count(),
                    ms(v.p10()),
                    ms(v.p50()),
                    ms(v.p90()),
                    ms(v.p95()),
                    ms(v.p99()),
                    ms(v.max())));
    return t.render();
  }

  private static String ms(double v) {
    return String.format(Locale.ROOT, "%.0f", v);
  }

  private String table() {
    StringBuilder s =
        new StringBuilder(
            "<table><tr><th>configuration</th><th>n</th><th>p10 ms</th><th>p50 ms</th>"
                + "<th>p90 ms</th><th>p95 ms</th><th>p99 ms</th><th>max ms</th></tr>");
    summaries()
        .forEach(
            (k, v) ->
                s.append(
                    String.format(
                        Locale.ROOT,
                        "<tr><td>%s</td><td>%d</td><td>%,.0f</td><td>%,.0f</td><td>%,.0f</td>"
                            + "<td>%,.0f</td><td>%,.0f</td><td>%,.0f</td></tr>",
                        ReportPage.escape(k),
                        v.count(),
                        v.p10(),
                        v.p50(),
                        v.p90(),
                        v.p95(),
                        v.p99(),
                        v.max())));
    return s.append("</table>").toString();
  }

  @Override
  public String toString() {
    return title + " " + samples.keySet();
  }
}
