package dev.thaw.bench.plot;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.knowm.xchart.XYChart;

class LatencyChartsTest {
  /** The demo run that made the case: 6 restores, 4 boots, 2 two-minute timeouts. */
  private static final List<Double> LONG_TAIL =
      List.of(
          150.0, 180.0, 200.0, 220.0, 240.0, 262.0, 7000.0, 7200.0, 7600.0, 8000.0, 128283.0,
          129115.0);

  private static LatencyCharts charts() {
    Map<String, List<Double>> samples = new LinkedHashMap<>();
    samples.put("local snapshots", LONG_TAIL);
    samples.put("remote", List.of(300.0, 310.0, 320.0));
    return new LatencyCharts(samples);
  }

  @Test
  void theBoxPlotDrawsTheSummarysPercentilesAndTheOutliersBeyondTheWhiskers() {
    LatencyCharts charts = charts();
    LatencyCharts.Box b = charts.boxes().get("local snapshots");
    assertThat(b.p50()).isEqualTo(262);
    assertThat(b.p90()).isEqualTo(128283);
    assertThat(b.outliers()).containsExactly(150.0, 129115.0);

    XYChart box = charts.boxPlot();
    assertThat(box.getSeriesMap().get("local snapshots median").getYData()).containsOnly(b.p50());
    double[] high = box.getSeriesMap().get("local snapshots high").getYData();
    assertThat(high[high.length - 1]).isEqualTo(b.p90());
    assertThat(box.getSeriesMap().get("local snapshots outliers").getYData())
        .containsExactly(150.0, 129115.0);
    assertThat(box.getSeriesMap()).doesNotContainKey("remote outliers");
  }

  @Test
  void theTailPlotDrawsP50ToP99OfEachConfiguration() {
    XYChart tail = charts().tailPlot();
    assertThat(tail.getSeriesMap().get("remote").getYData()).containsExactly(310, 320, 320, 320);
  }

  @Test
  void noSamplesDrawNoPlots() {
    assertThat(new LatencyCharts(Map.of()).all()).isEmpty();
    assertThat(charts().all()).containsOnlyKeys("boxplot", "tail", "cdf");
  }

  @Test
  void axisAndPointLabelsHaveAtMostFourSignificantDigits() {
    for (double v : new double[] {0.5, 2, 50, 262, 1000, 7600, 20_000, 128_283, 129_115, 5e6}) {
      String digits = LatencyCharts.label(v).replaceAll("[^0-9]", "").replaceAll("^0+", "");
      assertThat(digits.replaceAll("0+$", "").length()).as("label of %s", v).isLessThanOrEqualTo(4);
      assertThat(LatencyCharts.label(v)).doesNotContain("E");
    }
    assertThat(LatencyCharts.label(128_283)).isEqualTo("128k");
    assertThat(LatencyCharts.label(7600)).isEqualTo("7,600");
  }
}
