package dev.thaw.bench;

import dev.thaw.core.stats.LatencySummary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.knowm.xchart.AnnotationText;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Latencies of several configurations as a person would look at them: a summary table and three
 * plots — percentile boxes, tail percentiles and the CDF, all on log axes — as PNG files plus one
 * self-contained HTML page that says where its numbers came from.
 *
 * <p>Every number a plot draws is a {@link LatencySummary} percentile (nearest rank), the same the
 * table prints: a box spans p25–p75 with its median at p50, whiskers reach p10 and p90, and the
 * samples beyond the whiskers are drawn one by one with their values. Means and standard deviations
 * describe a long-tailed sample badly (one two-minute outlier makes the mean of 150 ms restores 24
 * s ± 47 s), so no plot shows them.
 */
public final class LatencyReport {
  private static final int WIDTH = 900;
  private static final int HEIGHT = 520;
  private static final double BOX_HALF_WIDTH = 0.25;

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
      if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
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

  /**
   * What the box plot draws for one configuration, every value a percentile of {@link
   * LatencySummary}.
   *
   * @param outliers the samples below p10 or above p90, drawn one by one
   */
  public record Box(
      double p10, double p25, double p50, double p75, double p90, List<Double> outliers) {}

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

  public Map<String, LatencySummary> summaries() {
    Map<String, LatencySummary> out = new LinkedHashMap<>();
    samples.forEach((k, v) -> out.put(k, LatencySummary.of(v)));
    return out;
  }

  /** What the box plot draws, per configuration. */
  public Map<String, Box> boxes() {
    Map<String, Box> out = new LinkedHashMap<>();
    summaries()
        .forEach(
            (k, s) ->
                out.put(
                    k,
                    new Box(
                        s.p10(),
                        s.p25(),
                        s.p50(),
                        s.p75(),
                        s.p90(),
                        samples.get(k).stream()
                            .filter(v -> v < s.p10() || v > s.p90())
                            .sorted()
                            .toList())));
    return out;
  }

  /**
   * Writes {@code boxplot.png}, {@code tail.png}, {@code cdf.png} and {@code report.html} (the PNGs
   * inlined) into {@code dir}.
   *
   * @return the HTML page
   */
  public Path write(Path dir) throws IOException {
    System.setProperty("java.awt.headless", "true");
    Files.createDirectories(dir);
    Map<String, Chart<?, ?>> charts = new LinkedHashMap<>();
    if (!samples.isEmpty()) {
      charts.put("boxplot", boxPlot());
      charts.put("tail", tailPlot());
      charts.put("cdf", cdf());
    }
    StringBuilder html = new StringBuilder();
    html.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>")
        .append(escape(title))
        .append("</title><style>body{font-family:sans-serif;margin:2em;max-width:960px}")
        .append("table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;")
        .append("text-align:right}th:first-child,td:first-child{text-align:left}")
        .append(".src{color:#444;font-size:90%}</style></head><body><h1>")
        .append(escape(title))
        .append("</h1>")
        .append(source(dir))
        .append(table())
        .append("<p class=\"src\">Percentiles by nearest rank: the p-th percentile of n sorted")
        .append(" values is the one at rank &lceil;p/100&middot;n&rceil;; the plots draw these")
        .append(" same values.</p>");
    if (samples.isEmpty()) {
      html.append("<p>No samples.</p>");
    }
    return finish(html, charts, dir);
  }

  /**
   * Writes each chart as a PNG into {@code dir}, appends it to {@code html} (inline, so the page
   * stands alone) and the page's end, and writes {@code dir/report.html}.
   *
   * @return the page
   */
  public static Path finish(StringBuilder html, Map<String, Chart<?, ?>> charts, Path dir)
      throws IOException {
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

  private String source(Path dir) {
    StringBuilder s = new StringBuilder("<p class=\"src\">");
    s.append("Made ").append(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    provenance.ifPresent(
        p -> {
          s.append(" by <code>").append(escape(p.command())).append("</code>");
          s.append(" on ").append(escape(p.machine()));
          if (p.csv() != null) {
            Path csv = p.csv().toAbsolutePath();
            Path base = dir.toAbsolutePath();
            String href =
                csv.startsWith(base) ? base.relativize(csv).toString() : csv.toUri().toString();
            s.append(". Every sample: <a href=\"")
                .append(escape(href))
                .append("\">")
                .append(escape(p.csv().getFileName().toString()))
                .append("</a>");
          }
        });
    return s.append(".</p>").toString();
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
            "p10",
            "p50",
            "p90",
            "p95",
            "p99",
            "max"));
    summaries()
        .forEach(
            (k, v) ->
                s.append(
                    String.format(
                        Locale.ROOT,
                        "%-32s %6d %8.0f %8.0f %8.0f %8.0f %8.0f %8.0f%n",
                        k,
                        v.count(),
                        v.p10(),
                        v.p50(),
                        v.p90(),
                        v.p95(),
                        v.p99(),
                        v.max())));
    return s.toString();
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
                        escape(k),
                        v.count(),
                        v.p10(),
                        v.p50(),
                        v.p90(),
                        v.p95(),
                        v.p99(),
                        v.max())));
    return s.append("</table>").toString();
  }

  /** Boxes p25–p75 with the median, whiskers p10–p90, outliers labelled; one per configuration. */
  XYChart boxPlot() {
    XYChart chart =
        new XYChartBuilder()
            .width(WIDTH)
            .height(HEIGHT)
            .title("Latency by configuration (box p25-p75, line p50, whiskers p10-p90)")
            .yAxisTitle("ms (log scale)")
            .build();
    chart.getStyler().setLegendVisible(false);
    chart.getStyler().setXAxisMin(-0.5).setXAxisMax(samples.size() - 0.5);
    // Category names go under each box: XChart hides a numeric axis's labels that would crowd.
    chart.getStyler().setXAxisTicksVisible(false);
    double bottom =
        samples.values().stream().flatMap(List::stream).mapToDouble(d -> d).min().orElse(1) / 3;
    chart.getStyler().setYAxisMin(Math.max(bottom, 0.1));
    logAxis(chart, false, Math.max(bottom, 0.1), sampleMax());
    int i = 0;
    for (var e : boxes().entrySet()) {
      Box b = e.getValue();
      // Two rows of names, so that long neighbours do not run into each other.
      double row = i % 2 == 0 ? 1.3 : 1.75;
      chart.addAnnotation(new AnnotationText(e.getKey(), i, Math.max(bottom, 0.1) * row, false));
      double l = i - BOX_HALF_WIDTH;
      double r = i + BOX_HALF_WIDTH;
      line(chart, e.getKey() + " box", new double[] {l, r, r, l, l}, b.p25(), b.p25(), b.p75());
      line(chart, e.getKey() + " median", new double[] {l, r}, b.p50(), b.p50());
      line(chart, e.getKey() + " low", new double[] {i, i}, b.p10(), b.p25());
      line(chart, e.getKey() + " high", new double[] {i, i}, b.p75(), b.p90());
      if (!b.outliers().isEmpty()) {
        double[] x = new double[b.outliers().size()];
        java.util.Arrays.fill(x, i);
        double[] y = b.outliers().stream().mapToDouble(Double::doubleValue).toArray();
        XYSeries points = chart.addSeries(e.getKey() + " outliers", x, y);
        points.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        points.setMarker(SeriesMarkers.CIRCLE);
        points.setMarkerColor(java.awt.Color.DARK_GRAY);
        for (int j = 0; j < y.length; j++) {
          // Alternate sides so that two outliers close together do not print over each other.
          double side = (j % 2 == 0 ? 1 : -1) * (BOX_HALF_WIDTH + 0.15);
          chart.addAnnotation(new AnnotationText(label(y[j]), i + side, y[j], false));
        }
      }
      i++;
    }
    return chart;
  }

  /** A polyline: {@code y} lists the corners; a box passes five, its last two repeating. */
  private static void line(XYChart chart, String name, double[] x, double... corners) {
    double[] y =
        x.length == 5
            ? new double[] {corners[0], corners[1], corners[2], corners[2], corners[0]}
            : corners;
    XYSeries s = chart.addSeries(name, x, y);
    s.setMarker(SeriesMarkers.NONE);
    s.setLineColor(java.awt.Color.DARK_GRAY);
    s.setLineStyle(SeriesLines.SOLID); // XChart dashes series past its first few by default
  }

  /** p50, p90, p95, p99 of each configuration as a line on a log axis. */
  private XYChart tailPlot() {
    XYChart chart =
        new XYChartBuilder()
            .width(WIDTH)
            .height(HEIGHT)
            .title("Tail latency")
            .xAxisTitle("percentile (p50, p90, p95, p99)")
            .yAxisTitle("ms (log scale)")
            .build();
    chart.getStyler().setXAxisDecimalPattern("0");
    logAxis(
        chart,
        false,
        summaries().values().stream().mapToDouble(v -> Math.max(v.p50(), 1)).min().orElse(1),
        summaries().values().stream().mapToDouble(v -> Math.max(v.p99(), 1)).max().orElse(10));
    summaries()
        .forEach(
            (k, v) ->
                chart
                    .addSeries(
                        k,
                        new double[] {50, 90, 95, 99},
                        new double[] {v.p50(), v.p90(), v.p95(), v.p99()})
                    .setMarker(SeriesMarkers.CIRCLE));
    return chart;
  }

  private XYChart cdf() {
    XYChart chart =
        new XYChartBuilder()
            .width(WIDTH)
            .height(HEIGHT)
            .title("Latency CDF")
            .xAxisTitle("ms (log scale)")
            .yAxisTitle("fraction of samples")
            .build();
    chart.getStyler().setYAxisMin(0.0).setYAxisMax(1.0);
    chart.getStyler().setYAxisDecimalPattern("0.0#");
    logAxis(chart, true, Math.max(sampleMin(), 1), Math.max(sampleMax(), 1));
    samples.forEach(
        (k, v) -> {
          double[] x = v.stream().mapToDouble(d -> Math.max(d, 1)).sorted().toArray();
          double[] y = new double[x.length];
          for (int i = 0; i < x.length; i++) {
            y[i] = (i + 1.0) / x.length; // at the i-th value, i/n of the samples are at most it
          }
          chart.addSeries(k, x, y).setMarker(SeriesMarkers.NONE);
        });
    return chart;
  }

  /**
   * A log axis with numbers written out ({@code 1,000}, never {@code 1E3}), over {@code [low,
   * high]}. Across more than a decade it is labelled at decades only (minor labels would crowd),
   * and widened to the decades around the data so that at least two labels show; within one decade
   * it is labelled at 1..9 times the power of ten.
   */
  private void logAxis(XYChart chart, boolean horizontal, double low, double high) {
    boolean decades = high / low > 10;
    double from = decades ? Math.pow(10, Math.floor(Math.log10(low))) : low;
    double to = decades ? Math.pow(10, Math.ceil(Math.log10(high))) : high;
    var styler = chart.getStyler();
    if (horizontal) {
      styler.setXAxisLogarithmic(true).setXAxisLogarithmicDecadeOnly(decades);
      styler.setXAxisDecimalPattern("#,##0");
      if (decades) {
        styler.setXAxisMin(from).setXAxisMax(to);
      }
    } else {
      styler.setYAxisLogarithmic(true).setYAxisLogarithmicDecadeOnly(decades);
      styler.setYAxisDecimalPattern("#,##0");
      if (decades) {
        styler.setYAxisMin(from).setYAxisMax(to);
      }
    }
  }

  /** A value as an axis or point label: at most 4 significant digits, 1,234 not 1.2E3. */
  static String label(double v) {
    if (v >= 10_000) {
      return String.format(Locale.ROOT, "%,.0fk", v / 1000);
    }
    return String.format(Locale.ROOT, v >= 10 || v == Math.rint(v) ? "%,.0f" : "%.2g", v);
  }

  private double sampleMin() {
    return samples.values().stream().flatMap(List::stream).mapToDouble(d -> d).min().orElse(1);
  }

  private double sampleMax() {
    return samples.values().stream().flatMap(List::stream).mapToDouble(d -> d).max().orElse(1);
  }

  /** {@code s} as HTML text or attribute value. */
  public static String escape(String s) {
    return s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }

  @Override
  public String toString() {
    return title + " " + samples.keySet();
  }
}
