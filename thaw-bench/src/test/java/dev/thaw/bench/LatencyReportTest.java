package dev.thaw.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.DoubleStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LatencyReportTest {
  @TempDir Path dir;

  @Test
  void writesFourPlotsAndASelfContainedPage() throws Exception {
    Random r = new Random(1);
    List<Double> boots =
        DoubleStream.generate(() -> 7000 + 500 * r.nextGaussian()).limit(20).boxed().toList();
    List<Double> restores =
        DoubleStream.generate(() -> 150 + 20 * r.nextGaussian()).limit(20).boxed().toList();
    LatencyReport report =
        new LatencyReport("cold starts")
            .add("no snapshots", boots)
            .add("local", restores)
            .add("empty", List.of());

    Path page = report.write(dir);

    for (String name : List.of("boxplot", "tail", "cdf", "mean")) {
      BufferedImage png = ImageIO.read(dir.resolve(name + ".png").toFile());
      assertThat(png.getWidth()).as(name).isEqualTo(900);
    }
    String html = Files.readString(page);
    assertThat(html)
        .contains("<td>no snapshots</td>")
        .contains("<td>local</td>")
        .doesNotContain(">empty<");
    assertThat(html.split("data:image/png;base64,")).hasSize(5);
    assertThat(report.textTable()).contains("no snapshots").contains("p95");
    assertThat(report.summaries().get("local").p50()).isBetween(100.0, 200.0);
  }
}
