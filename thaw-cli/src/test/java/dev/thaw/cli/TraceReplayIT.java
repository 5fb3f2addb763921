package dev.thaw.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.core.trace.TraceFunction;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A tiny trace replayed against a real agent process: the CSV holds exactly its counts. */
class TraceReplayIT {
  @TempDir Path dir;

  @Test
  void theReplayHoldsExactlyTheTracesCountsPerFunctionAndMinute() throws Exception {
    Path trace = Files.createDirectories(dir.resolve("trace"));
    int[][] counts = {{2, 1}, {1, 2}};
    writeTrace(trace, counts);
    int status =
        Thaw.commandLine()
            .execute(
                "bench",
                "trace",
                "--trace",
                trace.toString(),
                "--functions",
                "2",
                "--minutes",
                "0-2",
                "--time-scale",
                "12",
                "--nodes",
                "1",
                "--mode",
                "local",
                "--out",
                dir.resolve("out").toString());
    assertThat(status).isZero();

    List<String[]> rows =
        Files.readAllLines(dir.resolve("out/invocations.csv")).stream()
            .skip(1)
            .map(l -> l.split(",", -1))
            .toList();
    assertThat(rows).allSatisfy(r -> assertThat(r[12]).as("error column").isEmpty());
    Map<String, Long> perFunctionMinute =
        rows.stream().collect(Collectors.groupingBy(r -> r[0] + "@" + r[2], Collectors.counting()));
    // Sampling shuffles the functions: compare the multiset of per-minute count vectors.
    List<String> expected =
        List.of(counts[0][0] + "," + counts[0][1], counts[1][0] + "," + counts[1][1]);
    List<String> actual =
        IntStream.range(0, 2)
            .mapToObj(
                f ->
                    perFunctionMinute.getOrDefault("trace-" + f + "@0", 0L)
                        + ","
                        + perFunctionMinute.getOrDefault("trace-" + f + "@1", 0L))
            .toList();
    assertThat(actual).containsExactlyInAnyOrderElementsOf(expected);
    assertThat(rows.stream().filter(r -> r[4].equals("cold")).count()).isGreaterThanOrEqualTo(2);
    assertThat(Files.readAllLines(dir.resolve("out/minutes.csv"))).hasSize(3);
  }

  private static void writeTrace(Path dir, int[][] counts) throws Exception {
    StringBuilder inv = new StringBuilder("HashOwner,HashApp,HashFunction,Trigger");
    for (int m = 1; m <= TraceFunction.MINUTES; m++) {
      inv.append(',').append(m);
    }
    inv.append('\n');
    StringBuilder dur =
        new StringBuilder(
            "HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,percentile_Average_0,"
                + "percentile_Average_1,percentile_Average_25,percentile_Average_50,"
                + "percentile_Average_75,percentile_Average_99,percentile_Average_100\n");
    for (int f = 0; f < counts.length; f++) {
      inv.append("o,a,f").append(f).append(",http");
      for (int m = 0; m < TraceFunction.MINUTES; m++) {
        inv.append(',').append(m < counts[f].length ? counts[f][m] : 0);
      }
      inv.append('\n');
      dur.append("o,a,f").append(f).append(",50,3,10,100,10,10,20,50,80,100,100\n");
    }
    Files.writeString(dir.resolve("invocations_per_function_md.anon.d01.csv"), inv);
    Files.writeString(dir.resolve("function_durations_percentiles.anon.d01.csv"), dur);
  }
}
