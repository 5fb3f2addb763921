package dev.thaw.bench.plot;

import dev.thaw.core.stats.LatencySummary;
import java.awt.Color;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.AnnotationText;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The three plots of a latency report, drawn from the samples of several configurations: percentile
 * boxes, tail percentiles and the CDF, all on log axes with numbers written out.
 *
 * <p>Every number a plot draws is a {@link LatencySummary} percentile (nearest rank), the same a
 * report's table prints: a box spans p25–p75 with its median at p50, whiskers reach p10 and p90,
 * and the samples beyond the whiskers are drawn one by one with their values. Means and standard
 * deviations describe a long-tailed sample badly (one two-minute outlier makes the mean of 150 ms
 * restores 24 s ± 47 s), so no plot shows them.
 */
public final class LatencyCharts {
  private static final int WIDTH = 900;
  private static final int HEIGHT = 520;
  private static final double BOX_HALF_WIDTH = 0.25;

  static {
    // Charts are drawn off-screen, on machines without a display.
    System.setProperty("java.awt.headless", "true");
  }

  private final Map<String, List<Double>> samples;

  /**
   * What the box plot draws for one configuration, every value a percentile of {@link
   * LatencySummary}.
   *
   * @param outliers the samples below p10 or above p90, drawn one by one
   */
  public record Box(
      double p10, double p25, double p50, double p75, double p90, List<Double> outliers) {}

  /** The plots of these samples in ms, by configuration, in the order they appear. */
  public LatencyCharts(Map<String, List<Double>> samples) {
    this.samples = new LinkedHashMap<>(samples);
  }

  /** Each configuration's summary, in order. */
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

  /** The box plot, the tail plot and the CDF by file name; none without samples. */
  public Map<String, Chart<?, ?>> all() {
    Map<String, Chart<?, ?>> charts = new LinkedHashMap<>();
    if (!samples.isEmpty()) {
      charts.put("boxplot", boxPlot());
      charts.put("tail", tailPlot());
      charts.put("cdf", cdf());
    }
    return charts;
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
        Arrays.fill(x, i);
        double[] y = b.outliers().stream().mapToDouble(Double::doubleValue).toArray();
        XYSeries points = chart.addSeries(e.getKey() + " outliers", x, y);
        points.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        points.setMarker(SeriesMarkers.CIRCLE);
        points.setMarkerColor(Color.DARK_GRAY);
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
    s.setLineColor(Color.DARK_GRAY);
    s.setLineStyle(SeriesLines.SOLID); // XChart dashes series past its first few by default
  }

  /** p50, p90, p95, p99 of each configuration as a line on a log axis. */
  XYChart tailPlot() {
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

  XYChart cdf() {
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
  private static void logAxis(XYChart chart, boolean horizontal, double low, double high) {
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
}
