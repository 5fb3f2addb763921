package dev.thaw.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.core.trace.SyntheticTrace;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code thaw bench trace} refuses bad options and bad traces before it starts anything (no S3, no
 * agent, no QEMU): one line per problem on stderr, exit status 2, never a stack trace.
 */
class TraceRefusalTest {
  @TempDir Path dir;
  private Path trace;

  /** What one run printed and returned. */
  record Run(int status, String out, String err) {
    List<String> errLines() {
      return err.isEmpty() ? List.of() : List.of(err.split("\n"));
    }
  }

  @BeforeEach
  void writeTrace() throws Exception {
    trace = dir.resolve("trace");
    SyntheticTrace.write(trace, 8, 5);
  }

  private Run run(String... args) {
    List<String> all = new ArrayList<>(List.of("bench", "trace"));
    all.addAll(List.of(args));
    if (!all.contains("--out")) {
      all.addAll(List.of("--out", dir.resolve("results").toString()));
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream savedOut = System.out;
    PrintStream savedErr = System.err;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    int status;
    try {
      status = Thaw.commandLine().execute(all.toArray(String[]::new));
    } finally {
      System.setOut(savedOut);
      System.setErr(savedErr);
    }
    return new Run(
        status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** Status 2 and exactly one clean line on stderr containing {@code expected}. */
  private void refusedInOneLine(Run r, String expected) {
    assertThat(r.status()).as(r.err()).isEqualTo(2);
    assertThat(r.errLines()).as(r.err()).hasSize(1);
    assertClean(r);
    assertThat(r.err()).startsWith("refused: ").contains(expected);
    assertThat(r.out()).as("nothing planned nor started").isEmpty();
  }

  private static void assertClean(Run r) {
    assertThat(r.err())
        .doesNotContain("Exception")
        .doesNotContain("\tat ")
        .doesNotContain("Usage:");
  }

  @Test
  void aTraceThatWouldExceedTheMachineIsRefusedUpFrontWithTheReason() throws Exception {
    SyntheticTrace.write(dir, 300, 5);
    Run r =
        run(
            "--trace",
            dir.toString(),
            "--functions",
            "300",
            "--minutes",
            "0-30",
            "--time-scale",
            "60",
            "--nodes",
            "1",
            "--max-instances",
            "4");
    refusedInOneLine(r, "refused: this trace needs up to");
    assertThat(r.err()).contains("1 nodes x 4 instances run 4");
  }

  @Test
  void malformedMinuteRangesAreRefused() {
    refusedInOneLine(
        run("--trace", trace.toString(), "--minutes", "5"),
        "--minutes 5: minutes must be given as FROM-TO, e.g. 0-2 (TO excluded), not '5'");
    refusedInOneLine(
        run("--trace", trace.toString(), "--minutes", "0-99999"),
        "--minutes 0-99999: minutes 0-99999 lie outside the trace's day");
    refusedInOneLine(run("--trace", trace.toString(), "--minutes", "6-2"), "FROM must be below TO");
    refusedInOneLine(run("--trace", trace.toString(), "--minutes", "x-y"), "FROM-TO");
  }

  @Test
  void aTimeScaleThatWouldNeverEndOrIsTooFastIsRefused() throws Exception {
    refusedInOneLine(
        run("--trace", trace.toString(), "--time-scale", "0"),
        "--time-scale must be a positive number, not 0.0");
    refusedInOneLine(
        run("--trace", trace.toString(), "--time-scale", "-3"), "must be a positive number");
    refusedInOneLine(
        run("--trace", trace.toString(), "--time-scale", "NaN"), "must be a positive number");
    refusedInOneLine(run("--trace", trace.toString(), "--time-scale", "1000"), "too fast");
    refusedInOneLine(
        run("--trace", trace.toString(), "--minutes", "0-1440", "--time-scale", "0.001"),
        "would replay for");
    try (var left = Files.list(dir)) {
      assertThat(left.map(p -> p.getFileName().toString())).containsExactly("trace");
    }
  }

  @Test
  void aPrefetchTheAgentsCannotDoOrABadCacheBoundIsRefused() {
    refusedInOneLine(
        run("--trace", trace.toString(), "--prefetch", "always"),
        "--prefetch must be off, predicted or both, not 'always'");
    refusedInOneLine(
        run("--trace", trace.toString(), "--prefetch", "predicted", "--mode", "local"),
        "--prefetch predicted fetches from remote storage: it needs --mode remote");
    refusedInOneLine(
        run(
            "--trace",
            trace.toString(),
            "--prefetch",
            "both",
            "--json",
            dir.resolve("t.json").toString()),
        "--json records one replay");
    refusedInOneLine(
        run("--trace", trace.toString(), "--cache-per-node", "lots"), "--cache-per-node");
  }

  @Test
  void unknownModePlacementAndSpreadAreRefusedBeforeAnythingStarts() {
    refusedInOneLine(
        run("--trace", trace.toString(), "--mode", "bogus"),
        "--mode: snapshot mode must be disabled, local or remote: 'bogus'");
    refusedInOneLine(
        run("--trace", trace.toString(), "--placement", "bogus"),
        "--placement: placement policy must be default, snapshot-aware or expected-time: 'bogus'");
    refusedInOneLine(
        run("--trace", trace.toString(), "--spread", "bogus"),
        "--spread: spread must be exponential, uniform or equidistant, not 'bogus'");
  }

  @Test
  void countsAndDurationsOutOfRangeAreRefused() {
    refusedInOneLine(run("--trace", trace.toString(), "--functions", "0"), "--functions");
    refusedInOneLine(run("--trace", trace.toString(), "--nodes", "0"), "--nodes");
    refusedInOneLine(run("--trace", trace.toString(), "--max-instances", "-1"), "--max-instances");
    refusedInOneLine(run("--trace", trace.toString(), "--keep-alive", "-5s"), "--keep-alive");
  }

  @Test
  void everyBadOptionIsReportedOnItsOwnLine() {
    Run r =
        run(
            "--trace",
            trace.toString(),
            "--minutes",
            "5",
            "--time-scale",
            "0",
            "--mode",
            "bogus",
            "--placement",
            "bogus");
    assertThat(r.status()).isEqualTo(2);
    assertClean(r);
    assertThat(r.errLines())
        .hasSize(4)
        .allSatisfy(line -> assertThat(line).startsWith("refused: "))
        .anySatisfy(line -> assertThat(line).contains("--minutes"))
        .anySatisfy(line -> assertThat(line).contains("--time-scale"))
        .anySatisfy(line -> assertThat(line).contains("--mode"))
        .anySatisfy(line -> assertThat(line).contains("--placement"));
  }

  @Test
  void anOutputPathThatIsAFileIsRefused() throws Exception {
    Path file = Files.writeString(dir.resolve("taken"), "x");
    refusedInOneLine(
        run("--trace", trace.toString(), "--out", file.toString()), "is a file, not a directory");
  }

  @Test
  void missingOrEmptyTraceDirectoriesAreRefused() throws Exception {
    refusedInOneLine(run("--trace", dir.resolve("nowhere").toString()), "no such trace directory");
    Path empty = Files.createDirectories(dir.resolve("empty"));
    refusedInOneLine(
        run("--trace", empty.toString()), "no invocations_per_function_md.anon.dNN.csv");
    Files.delete(trace.resolve("function_durations_percentiles.anon.d01.csv"));
    refusedInOneLine(
        run("--trace", trace.toString()), "no function_durations_percentiles.anon.d01.csv");
  }

  @Test
  void malformedTraceRowsAreRefusedWithFileLineAndColumnOnly() throws Exception {
    Path inv = trace.resolve("invocations_per_function_md.anon.d01.csv");
    List<String> lines = Files.readAllLines(inv);
    String[] fields = lines.get(2).split(",");
    fields[10] = "x7";
    lines.set(2, String.join(",", fields));
    Files.write(inv, lines);
    refusedInOneLine(
        run("--trace", trace.toString()),
        "invocations_per_function_md.anon.d01.csv:3:11: 'x7' is not a non-negative integer");

    SyntheticTrace.write(trace, 8, 5);
    Path dur = trace.resolve("function_durations_percentiles.anon.d01.csv");
    lines = Files.readAllLines(dur);
    lines.set(3, "a,b,c");
    Files.write(dur, lines);
    refusedInOneLine(
        run("--trace", trace.toString()),
        "function_durations_percentiles.anon.d01.csv:4: has 3 columns, the format has 14");
  }

  @Test
  void minutesWithoutAnyInvocationAreRefusedBeforeTheClusterStarts() throws Exception {
    // Empty minutes 100-110 in every function.
    Path inv = trace.resolve("invocations_per_function_md.anon.d01.csv");
    List<String> lines = Files.readAllLines(inv);
    for (int i = 1; i < lines.size(); i++) {
      String[] fields = lines.get(i).split(",", -1);
      for (int m = 100; m < 110; m++) {
        fields[4 + m] = "0";
      }
      lines.set(i, String.join(",", fields));
    }
    Files.write(inv, lines);
    refusedInOneLine(
        run("--trace", trace.toString(), "--minutes", "100-110"),
        "no invocations in minutes 100-110 of the trace's 8 functions");
  }

  @Test
  void aValidReplayPassesTheChecksAndADryRunStartsNothing() {
    Run r =
        run(
            "--trace",
            trace.toString(),
            "--minutes",
            "0-2",
            "--nodes",
            "8",
            "--max-instances",
            "64",
            "--dry-run");
    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.err()).isEmpty();
    assertThat(r.out())
        .contains("thaw bench trace: ")
        .contains("minutes 0-2 at 6.0x")
        .contains("dry run: the options and the trace are valid; nothing was started");
    assertThat(Files.exists(dir.resolve("results"))).as("no results written").isFalse();
  }
}
