package dev.thaw.bench.vm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.core.stats.LatencySummary;
import java.util.List;
import org.junit.jupiter.api.Test;

class BootRestoreTimesTest {
  @Test
  void theRatioIsOfTheMediansNotOfTheMeans() {
    BootRestoreTimes t =
        new BootRestoreTimes(
            LatencySummary.of(List.of(8000.0, 9000.0, 30000.0)),
            LatencySummary.of(List.of(250.0, 300.0, 400.0)));
    assertThat(t.restoreOverBootMedian()).isEqualTo(300.0 / 9000.0);
  }
}
