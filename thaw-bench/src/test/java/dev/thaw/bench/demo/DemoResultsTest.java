package dev.thaw.bench.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.core.placement.PlacementScorer;
import dev.thaw.core.snapshot.SnapshotMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoResultsTest {
  private static final DemoConfiguration LOCAL =
      new DemoConfiguration(
          "local snapshots", SnapshotMode.LOCAL, true, PlacementScorer.spreading());
  private static final DemoConfiguration UNCACHED =
      new DemoConfiguration(
          "remote, no cache", SnapshotMode.REMOTE, false, PlacementScorer.spreading());

  private static DemoInvocation answered(
      DemoConfiguration c, int round, String start, String source, double ms) {
    return new DemoInvocation(
        c.name(), round, "hello", "node-1", start, source, "0.125", 12, 340, ms, "");
  }

  /** Round 1 and warm starts do not count; under LOCAL, two restores and a boot do. */
  private static final DemoResults RESULTS =
      new DemoResults(
          List.of(LOCAL, UNCACHED),
          List.of(
              answered(LOCAL, 1, "cold", "none", 9000),
              answered(LOCAL, 2, "cold", "local", 300),
              answered(LOCAL, 2, "warm", "", 5),
              answered(LOCAL, 3, "cold", "local", 500),
              answered(LOCAL, 3, "cold", "none", 7000),
              answered(UNCACHED, 1, "cold", "none", 8000),
              new DemoInvocation(
                  UNCACHED.name(),
                  2,
                  "python",
                  "",
                  "",
                  "",
                  "",
                  0,
                  0,
                  3.25,
                  "no node, said \"x\"")));

  @Test
  void theColdStartsAreThoseAfterRoundOneOfTheirConfiguration() {
    assertThat(RESULTS.coldStartMs(LOCAL)).containsExactly(300.0, 500.0, 7000.0);
    assertThat(RESULTS.coldStartMs(UNCACHED)).isEmpty();
  }

  @Test
  void aBootIsAColdStartWithoutASnapshot() {
    assertThat(answered(LOCAL, 2, "cold", "none", 7000).booted()).isTrue();
    assertThat(answered(LOCAL, 2, "cold", "local", 300).booted()).isFalse();
    assertThat(answered(LOCAL, 2, "warm", "", 5).booted()).isFalse();
  }

  @Test
  void aRefusedInvocationIsAFailure() {
    assertThat(RESULTS.anyFailed()).isTrue();
    assertThat(new DemoResults(List.of(LOCAL), RESULTS.invocations().subList(0, 5)).anyFailed())
        .isFalse();
  }

  @Test
  void theTableSummarisesEachConfigurationsColdStartsAndDashesOneWithout() {
    String nl = System.lineSeparator();
    String line = "%-32s %6s %8s %8s %8s %8s %10s %8s";
    assertThat(RESULTS.table())
        .isEqualTo(
            String.format(
                    line,
                    "configuration",
                    "n",
                    "mean ms",
                    "p50 ms",
                    "p90 ms",
                    "p99 ms",
                    "local hits",
                    "boots")
                + nl
                + String.format(line, "local snapshots", 3, 2600, 500, 7000, 7000, "67%", 1)
                + nl
                + String.format(line, "remote, no cache", 0, "-", "-", "-", "-", "-", "-")
                + nl);
  }

  @Test
  void theCsvHoldsEveryInvocationWithItsFieldsQuotedWhereTheyMustBe(@TempDir Path dir)
      throws Exception {
    Path csv = RESULTS.writeCsv(dir.resolve("out"));
    assertThat(csv).isEqualTo(dir.resolve("out").resolve("demo-invocations.csv"));
    List<String> lines = Files.readAllLines(csv);
    assertThat(lines).hasSize(1 + RESULTS.invocations().size());
    assertThat(lines.get(0))
        .isEqualTo(
            "configuration,round,function,node,start,source,placement_ms,fetch_ms,startup_ms,latency_ms,error");
    assertThat(lines.get(2))
        .isEqualTo("local snapshots,2,hello,node-1,cold,local,0.125,12,340,300.0,");
    assertThat(lines.get(7))
        .isEqualTo("\"remote, no cache\",2,python,,,,,0,0,3.3,\"no node, said \"\"x\"\"\"");
  }
}
