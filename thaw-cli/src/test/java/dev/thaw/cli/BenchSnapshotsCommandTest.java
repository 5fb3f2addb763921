package dev.thaw.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.bench.snapshots.ConfigurationFigures;
import dev.thaw.bench.snapshots.FunctionFigures;
import dev.thaw.core.stats.LatencySummary;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

class BenchSnapshotsCommandTest {
  private static LatencySummary ms(Double... v) {
    return LatencySummary.of(List.of(v));
  }

  @Test
  void theTableHoldsWhatTheFormatStringsPrinted() {
    List<ConfigurationFigures> results =
        List.of(
            new ConfigurationFigures("no snapshot", ms(8000.0, 8200.0, 9100.0), 0),
            new ConfigurationFigures("local snapshot", ms(95.0, 100.0, 130.0), 0),
            new ConfigurationFigures("remote, no cache", ms(480.0, 500.0, 520.0), 0.316),
            new ConfigurationFigures("remote, cached (fetch)", ms(390.0, 400.0, 450.0), 0.2));
    StringBuilder expected =
        new StringBuilder(
            String.format(
                "%-24s %8s %8s %8s %8s %8s %9s %8s %8s%n",
                "python: cold start",
                "n",
                "mean ms",
                "p50 ms",
                "p90 ms",
                "p99 ms",
                "fetching",
                "÷ boot",
                "÷ local"));
    for (ConfigurationFigures r : results) {
      LatencySummary s = r.latencyMs();
      expected.append(
          String.format(
              Locale.ROOT,
              "%-24s %8d %8.0f %8.0f %8.0f %8.0f %8.0f%% %8.3f %8.2f%n",
              r.configuration(),
              s.count(),
              s.mean(),
              s.p50(),
              s.p90(),
              s.p99(),
              100 * r.fetchShare(),
              s.p50() / 8200,
              s.p50() / 100));
    }
    assertThat(BenchSnapshotsCommand.table(new FunctionFigures("python", results)))
        .isEqualTo(expected.toString())
        .contains(" 32% ");
  }
}
