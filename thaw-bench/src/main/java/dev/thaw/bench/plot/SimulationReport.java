package dev.thaw.bench.plot;

import dev.thaw.bench.LatencyReport;
import dev.thaw.core.trace.MinuteRange;
import dev.thaw.sim.SimResult;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.ToDoubleFunction;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * {@code thaw simulate --report}: {@code report.html} with the table, the starts and remote bytes
 * of each configuration, and the sweeps over cluster size and cache per node (PNGs beside it,
 * inlined in the page).
 */
public final class SimulationReport {
  private static final int WIDTH = 900;
  private static final int HEIGHT = 520;

  /**
   * What was simulated, said at the top of the page.
   *
   * @param trace the trace's directory (the page names only its last part)
   * @param range the trace minutes simulated
   * @param functions how many of the trace's functions
   * @param model where the model's start latencies and sizes came from
   */
  public record Simulated(Path trace, MinuteRange range, int functions, List<String> model) {
    public Simulated {
      Objects.requireNonNull(trace, "trace");
      Objects.requireNonNull(range, "range");
      model = List.copyOf(model);
    }
  }

  private SimulationReport() {}

  /**
   * Writes {@code report.html} and its PNGs into {@code dir}.
   *
   * @param results one per configuration compared
   * @param byNodes the sweep over cluster size; empty: none
   * @param byCache the sweep over cache per node; empty: none
   * @return the page
   */
  public static Path write(
      Path dir,
      LatencyReport.Provenance provenance,
      Simulated simulated,
      List<SimResult> results,
      List<SimResult> byNodes,
      List<SimResult> byCache)
      throws IOException {
    System.setProperty("java.awt.headless", "true");
    Map<String, Chart<?, ?>> charts = new LinkedHashMap<>();
    charts.put("starts", starts(results));
    charts.put("remote-bytes", remoteBytes(results));
    if (!byNodes.isEmpty()) {
      charts.put(
          "sweep-nodes-remote",
          sweep(
              "Remote restores by cluster size",
              "nodes (log scale)",
              "remote restores",
              byNodes,
              r -> r.nodes(),
              r -> r.remoteRestores(),
              true));
      charts.put(
          "sweep-nodes-local",
          sweep(
              "Local-hit share of restores by cluster size",
              "nodes (log scale)",
              "local hits, % of restores",
              byNodes,
              r -> r.nodes(),
              r -> 100 * r.localHitShare(),
              true));
    }
    if (!byCache.isEmpty()) {
      charts.put(
          "sweep-cache-local",
          sweep(
              "Local-hit share by cache per node",
              "cache per node, GiB",
              "local hits, % of restores",
              byCache,
              r -> r.cacheBytesPerNode() / (double) (1L << 30),
              r -> 100 * r.localHitShare(),
              false));
      charts.put(
          "sweep-cache-remote",
          sweep(
              "Bytes from remote storage by cache per node",
              "cache per node, GiB",
              "GiB read from remote storage",
              byCache,
              r -> r.cacheBytesPerNode() / (double) (1L << 30),
              r -> r.remoteBytes() / (double) (1L << 30),
              false));
    }
    StringBuilder html = new StringBuilder();
    html.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>thaw simulate")
        .append("</title><style>body{font-family:sans-serif;margin:2em;max-width:1100px}")
        .append("pre{font-size:85%}.src{color:#444;font-size:90%}</style></head><body>")
        .append("<h1>thaw simulate</h1><p class=\"src\">")
        .append(ReportPage.escape(provenance.command()))
        .append(" on ")
        .append(ReportPage.escape(provenance.machine()))
        .append(". Trace: ")
        .append(ReportPage.escape(simulated.trace().getFileName().toString()))
        .append(", minutes ")
        .append(simulated.range())
        .append(", ")
        .append(simulated.functions())
        .append(" functions. Model: ")
        .append(ReportPage.escape(String.join("; ", simulated.model())))
        .append(".</p><pre>")
        .append(ReportPage.escape(SimulationTable.of(results)))
        .append("</pre>");
    if (!byNodes.isEmpty()) {
      html.append("<h2>Sweep over cluster size</h2><pre>")
          .append(ReportPage.escape(SimulationTable.of(byNodes)))
          .append("</pre>");
    }
    if (!byCache.isEmpty()) {
      html.append("<h2>Sweep over cache per node</h2><pre>")
          .append(ReportPage.escape(SimulationTable.of(byCache)))
          .append("</pre>");
    }
    return ReportPage.write(html, charts, dir);
  }

  private static CategoryChart starts(List<SimResult> results) {
    CategoryChart chart =
        new CategoryChartBuilder()
            .width(WIDTH)
            .height(HEIGHT)
            .title("Cold starts by configuration")
            .yAxisTitle("cold starts")
            .build();
    chart.getStyler().setStacked(true).setXAxisLabelRotation(20);
    List<String> names = results.stream().map(SimResult::configuration).toList();
    chart.addSeries(
        "local restore", names, results.stream().map(r -> (Number) r.localRestores()).toList());
    chart.addSeries(
        "remote restore", names, results.stream().map(r -> (Number) r.remoteRestores()).toList());
    chart.addSeries("boot", names, results.stream().map(r -> (Number) r.boots()).toList());
    return chart;
  }

  private static CategoryChart remoteBytes(List<SimResult> results) {
    CategoryChart chart =
        new CategoryChartBuilder()
            .width(WIDTH)
            .height(HEIGHT)
            .title("Bytes read from remote storage")
            .yAxisTitle("GiB")
            .build();
    chart.getStyler().setXAxisLabelRotation(20).setLegendVisible(false);
    chart.addSeries(
        "remote GiB",
        results.stream().map(SimResult::configuration).toList(),
        results.stream().map(r -> (Number) (r.remoteBytes() / (double) (1L << 30))).toList());
    return chart;
  }

  /** One line per configuration label, over the swept quantity. */
  private static XYChart sweep(
      String title,
      String xTitle,
      String yTitle,
      List<SimResult> runs,
      ToDoubleFunction<SimResult> x,
      ToDoubleFunction<SimResult> y,
      boolean logX) {
    XYChart chart =
        new XYChartBuilder()
            .width(WIDTH)
            .height(HEIGHT)
            .title(title)
            .xAxisTitle(xTitle)
            .yAxisTitle(yTitle)
            .build();
    chart
        .getStyler()
        .setXAxisLogarithmic(logX)
        .setXAxisDecimalPattern("#,##0.#")
        .setYAxisDecimalPattern("#,##0.#");
    Map<String, List<SimResult>> lines = new LinkedHashMap<>();
    for (SimResult r : runs) {
      lines.computeIfAbsent(r.configuration(), k -> new ArrayList<>()).add(r);
    }
    lines.forEach(
        (name, rs) ->
            chart
                .addSeries(
                    name,
                    rs.stream().mapToDouble(x).toArray(),
                    rs.stream().mapToDouble(y).toArray())
                .setMarker(SeriesMarkers.CIRCLE));
    return chart;
  }
}
