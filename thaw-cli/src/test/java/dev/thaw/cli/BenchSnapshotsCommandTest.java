package dev.thaw.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.bench.snapshots.ConfigurationFigures;
import dev.thaw.bench.snapshots.FunctionFigures;
import dev.thaw.core.stats.LatencySummary;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

class BenchSnapshotsCommandTest {
  private static final String HEADER = "%-24s %8s %8s %8s %8s %8s %9s %8s %8s %8s %9s %8s%n";
  private static final String ROW = "%-24s %8d %8.0f %8.0f %8.0f %8.0f %8.0f%% %8.3f %8.2f ";

  private static LatencySummary ms(Double... v) {
    return LatencySummary.of(List.of(v));
  }

  private static List<ConfigurationFigures> results(long memory, long image) {
    return List.of(
        new ConfigurationFigures("no snapshot", ms(8000.0, 8200.0, 9100.0), 0),
        new ConfigurationFigures("local snapshot", ms(95.0, 100.0, 130.0), 0),
        new ConfigurationFigures(
            "remote, no cache", ms(480.0, 500.0, 520.0), 0.316, 3, memory, image),
        new ConfigurationFigures(
            "remote, cached (fetch)", ms(390.0, 400.0, 450.0), 0.2, 3, memory + 4096, image));
  }

  private static String header(String function) {
    return String.format(
        HEADER,
        function + ": cold start",
        "n",
        "mean ms",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "fetching",
        "÷ boot",
        "÷ local",
        "mem KiB",
        "image KiB",
        "% image");
  }

  private static String latencies(ConfigurationFigures r) {
    LatencySummary s = r.latencyMs();
    return String.format(
        Locale.ROOT,
        ROW,
        r.configuration(),
        s.count(),
        s.mean(),
        s.p50(),
        s.p90(),
        s.p99(),
        100 * r.fetchShare(),
        s.p50() / 8200,
        s.p50() / 100);
  }

  @Test
  void theTableHoldsWhatTheFormatStringsPrinted() {
    // A 40 MiB image of which 400 KiB came before the first answer: 1%.
    List<ConfigurationFigures> results = results(9 << 20, 400 << 10);
    StringBuilder expected = new StringBuilder(header("python"));
    for (ConfigurationFigures r : results) {
      expected.append(latencies(r));
      expected.append(
          r.lazyRestores() == 0
              ? String.format("%8s %9s %8s%n", "-", "-", "-")
              : String.format(
                  Locale.ROOT,
                  "%8d %9d %7.1f%%%n",
                  r.memoryBytes() >> 10,
                  r.rootImageBytes() >> 10,
                  100.0 * r.rootImageBytes() / (40 << 20)));
    }
    String table = BenchSnapshotsCommand.table(new FunctionFigures("python", 40 << 20, results));
    assertThat(table)
        .isEqualTo(expected.toString())
        .contains(" 32% ")
        .contains("     9216       400     1.0%")
        .contains("     9220       400     1.0%");
  }

  @Test
  void aFunctionWithoutAnImageShowsItsMemoryBytesAlone() {
    List<ConfigurationFigures> results = results(1 << 20, 0);
    String table = BenchSnapshotsCommand.table(new FunctionFigures("hello", results));
    assertThat(table.lines().skip(3))
        .allSatisfy(line -> assertThat(line).endsWith(String.format("%9s %8s", "-", "-")))
        .anySatisfy(line -> assertThat(line).contains(" 1024 "));
    assertThat(table.lines().skip(1).limit(2))
        .allSatisfy(line -> assertThat(line).endsWith(String.format("%8s %9s %8s", "-", "-", "-")));
  }
}
