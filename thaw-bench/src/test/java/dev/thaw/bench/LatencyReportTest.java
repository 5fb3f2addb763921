package dev.thaw.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.core.stats.LatencySummary;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knowm.xchart.XYChart;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class LatencyReportTest {
  /** The demo run that made the case: 6 restores, 4 boots, 2 two-minute timeouts. */
  private static final List<Double> LONG_TAIL =
      List.of(
          150.0, 180.0, 200.0, 220.0, 240.0, 262.0, 7000.0, 7200.0, 7600.0, 8000.0, 128283.0,
          129115.0);

  @TempDir Path dir;

  private LatencyReport report() {
    return new LatencyReport("cold starts")
        .provenance(
            new LatencyReport.Provenance(
                "thaw demo --rounds 4", "2 cores", dir.resolve("demo-invocations.csv")))
        .add("local snapshots", LONG_TAIL)
        .add("remote", List.of(300.0, 310.0, 320.0))
        .add("empty", List.of());
  }

  @Test
  void theBoxPlotDrawsTheTablesPercentiles() throws Exception {
    LatencyReport report = report();
    Path page = report.write(dir);

    // The table, as the page prints it.
    Matcher row =
        Pattern.compile(
                "<tr><td>local snapshots</td><td>12</td><td>([0-9,]+)</td><td>([0-9,]+)</td>"
                    + "<td>([0-9,]+)</td>")
            .matcher(Files.readString(page));
    assertThat(row.find()).isTrue();
    double tableP50 = Double.parseDouble(row.group(2).replace(",", ""));
    double tableP90 = Double.parseDouble(row.group(3).replace(",", ""));
    assertThat(tableP50).isEqualTo(262);
    assertThat(tableP90).isEqualTo(128283);

    // The JSON the benches write: the same summary, serialised.
    LatencySummary summary = report.summaries().get("local snapshots");
    JsonNode json = JsonMapper.builder().build().valueToTree(summary);
    assertThat(json.get("p50").asDouble()).isEqualTo(tableP50);
    assertThat(json.get("p90").asDouble()).isEqualTo(tableP90);

    // The box plot's own series: the median line and the upper whisker's end.
    XYChart box = (XYChart) report.charts().all().get("boxplot");
    assertThat(box.getSeriesMap().get("local snapshots median").getYData()).containsOnly(tableP50);
    double[] high = box.getSeriesMap().get("local snapshots high").getYData();
    assertThat(high[high.length - 1]).isEqualTo(tableP90);
    assertThat(box.getSeriesMap().get("local snapshots outliers").getYData())
        .containsExactly(150.0, 129115.0);
  }

  @Test
  void writesThreePlotsAndASelfContainedPageThatSaysWhereItsNumbersCameFrom() throws Exception {
    Path page = report().write(dir);
    for (String name : List.of("boxplot", "tail", "cdf")) {
      BufferedImage png = ImageIO.read(dir.resolve(name + ".png").toFile());
      assertThat(png.getWidth()).as(name).isEqualTo(900);
    }
    assertThat(dir.resolve("mean.png")).doesNotExist();
    String html = Files.readString(page);
    assertThat(html)
        .contains("<td>local snapshots</td>")
        .doesNotContain(">empty<")
        .contains("<code>thaw demo --rounds 4</code>")
        .contains("href=\"demo-invocations.csv\"")
        .contains("nearest rank");
    assertThat(html.split("data:image/png;base64,")).hasSize(4);
    Map<String, LatencySummary> s = report().summaries();
    assertThat(report().textTable())
        .startsWith(String.format("%-32s %6s %8s", "configuration", "n", "p10"))
        .contains(String.format("%-32s %6d %8.0f %8.0f", "local snapshots", 12, 180.0, 262.0))
        .doesNotContain("empty");
    assertThat(s.get("remote").p50()).isEqualTo(310);
  }
}
