package dev.thaw.bench;

import dev.thaw.core.stats.LatencySummary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.DoubleSummaryStatistics;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.BoxChart;
import org.knowm.xchart.BoxChartBuilder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Cold-start latency of several configurations as a person would look at it: a summary table and
 * the thesis' figures 6.1–6.5 — box plots, tail-percentile bars, the latency CDF and means with
 * standard-deviation error bars — as PNG files plus one self-contained HTML page.
 */
public final class LatencyReport {
  private static final int WIDTH = 900;
  private static final int HEIGHT = 520;

  private final String title;
  private final Map<String, List<Double>> samples = new LinkedHashMap<>();

  public LatencyReport(String title) {
    this.title = title;
  }

  /** Adds a configuration's latencies in ms (in the order configurations should appear). */
  public LatencyReport add(String configuration, List<Double> latenciesMs) {
    if (!latenciesMs.isEmpty()) {
      samples.put(configuration, List.copyOf(latenciesMs));
    }
    return this;
  }

  public Map<String, LatencySummary> summaries() {
    Map<String, LatencySummary> out = new LinkedHashMap<>();
    samples.forEach((k, v) -> out.put(k, LatencySummary.of(v)));
    return out;
  }

  /**
   * Writes {@code boxplot.png}, {@code tail.png}, {@code cdf.png}, {@code mean.png} and {@code
   * report.html} (the PNGs inlined) into {@code dir}.
   *
   * @return the HTML page
   */
  public Path write(Path dir) throws IOException {
    System.setProperty("java.awt.headless", "true");
    Files.createDirectories(dir);
    Map<String, Chart<?, ?>> charts = new LinkedHashMap<>();
    charts.put("boxplot", boxPlot());
    charts.put("tail", tailBars());
    charts.put("cdf", cdf());
    charts.put("mean", means());
    StringBuilder html = new StringBuilder();
    html.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>")
        .append(escape(title))
        .append("</title><style>body{font-family:sans-serif;margin:2em;max-width:960px}")
        .append("table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;")
        .append(
            "text-align:right}th:first-child,td:first-child{text-align:left}</style></head><body>")
        .append("<h1>")
        .append(escape(title))
        .append("</h1>")
        .append(table());
    for (var e : charts.entrySet()) {
      Path png = dir.resolve(e.getKey() + ".png");
      BitmapEncoder.saveBitmap(e.getValue(), png.toString(), BitmapEncoder.BitmapFormat.PNG);
      html.append("<h2>")
          .append(escape(e.getValue().getTitle()))
          .append("</h2><img alt=\"")
          .append(e.getKey())
          .append("\" src=\"data:image/png;base64,")
          .append(Base64.getEncoder().encodeToString(Files.readAllBytes(png)))
          .append("\">");
    }
    html.append("</body></html>\n");
    Path page = dir.resolve("report.html");
    Files.writeString(page, html);
    return page;
  }

  /** The summary as a plain-text table, for terminals. */
  public String textTable() {
    StringBuilder s = new StringBuilder();
    s.append(
        String.format(
            Locale.ROOT,
            "%-32s %6s %8s %8s %8s %8s %8s %8s%n",
            "configuration",
            "n",
            "mean",
            "stddev",
            "p50",
            "p90",
            "p95",
            "p99"));
    summaries()
        .forEach(
            (k, v) ->
                s.append(
                    String.format(
                        Locale.ROOT,
                        "%-32s %6d %8.0f %8.0f %8.0f %8.0f %8.0f %8.0f%n",
                        k,
                        v.count(),
                        v.mean(),
                        v.stddev(),
                        v.p50(),
                        v.p90(),
                        v.p95(),
                        v.p99())));
    return s.toString();
  }

  private String table() {
    StringBuilder s =
        new StringBuilder(
            "<table><tr><th>configuration</th><th>n</th><th>mean ms</th><th>stddev</th>"
                + "<th>p50</th><th>p90</th><th>p95</th><th>p99</th></tr>");
    summaries()
        .forEach(
            (k, v) ->
                s.append(
                    String.format(
                        Locale.ROOT,
                        "<tr><td>%s</td><td>%d</td><td>%.0f</td><td>%.0f</td><td>%.0f</td>"
                            + "<td>%.0f</td><td>%.0f</td><td>%.0f</td></tr>",
                        escape(k),
                        v.count(),
                        v.mean(),
                        v.stddev(),
                        v.p50(),
                        v.p90(),
                        v.p95(),
                        v.p99())));
    return s.append("</table>").toString();
  }

  private BoxChart boxPlot() {
    BoxChart chart =
        new BoxChartBuilder()
            .width(WIDTH)
            .height(HEIGHT)
            .title("Cold-start latency")
            .yAxisTitle("ms (log scale)")
            .build();
    chart.getStyler().setYAxisLogarithmic(true);
    // Decades alone leave a 100-600 ms plot with one labelled line.
    chart.getStyler().setYAxisLogarithmicDecadeOnly(false);
    chart.getStyler().setYAxisDecimalPattern("#,##0"); // not 8E3
    chart.getStyler().setLegendVisible(false);
    chart.getStyler().setXAxisLabelRotation(12);
    samples.forEach(
        (k, v) -> chart.addSeries(k, v.stream().mapToDouble(Double::doubleValue).toArray()));
    return chart;
  }

  private CategoryChart tailBars() {
    CategoryChart chart =
        new CategoryChartBuilder()
            .width(WIDTH)
            .height(HEIGHT)
            .title("Tail latency")
            .xAxisTitle("percentile")
            .yAxisTitle("ms")
            .build();
    List<String> x = List.of("p50", "p90", "p95", "p99");
    summaries()
        .forEach((k, v) -> chart.addSeries(k, x, List.of(v.p50(), v.p90(), v.p95(), v.p99())));
    return chart;
  }

  private XYChart cdf() {
    XYChart chart =
        new XYChartBuilder()
            .width(WIDTH)
            .height(HEIGHT)
            .title("Latency CDF")
            .xAxisTitle("ms (log scale)")
            .yAxisTitle("fraction of cold starts")
            .build();
    chart.getStyler().setXAxisLogarithmic(true);
    // Labels between decades help a narrow range and crowd a wide one on a horizontal axis.
    chart.getStyler().setXAxisLogarithmicDecadeOnly(spanOfSamples() > 10);
    chart.getStyler().setXAxisDecimalPattern("#,##0");
    samples.forEach(
        (k, v) -> {
          double[] x =
              v.stream()
                  .mapToDouble(Double::doubleValue)
                  .map(d -> Math.max(d, 1))
                  .sorted()
                  .toArray();
          double[] y = new double[x.length];
          for (int i = 0; i < x.length; i++) {
            y[i] = (i + 1.0) / x.length;
          }
          chart.addSeries(k, x, y).setMarker(SeriesMarkers.NONE);
        });
    return chart;
  }

  /** Largest sample ÷ smallest (at least 1 ms each), 1 without samples. */
  private double spanOfSamples() {
    DoubleSummaryStatistics all =
        samples.values().stream()
            .flatMap(List::stream)
            .mapToDouble(d -> Math.max(d, 1))
            .summaryStatistics();
    return all.getCount() == 0 ? 1 : all.getMax() / all.getMin();
  }

  private CategoryChart means() {
    CategoryChart chart =
        new CategoryChartBuilder()
            .width(WIDTH)
            .height(HEIGHT)
            .title("Mean cold-start latency (error bars: one standard deviation)")
            .yAxisTitle("ms")
            .build();
    chart.getStyler().setLegendVisible(false);
    chart.getStyler().setXAxisLabelRotation(12);
    List<String> names = new ArrayList<>(samples.keySet());
    List<Double> means = new ArrayList<>();
    List<Double> errors = new ArrayList<>();
    summaries()
        .values()
        .forEach(
            s -> {
              means.add(s.mean());
              errors.add(s.stddev());
            });
    chart.addSeries("mean", names, means, errors);
    return chart;
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }

  @Override
  public String toString() {
    return title + " " + Arrays.toString(samples.keySet().toArray());
  }
}
