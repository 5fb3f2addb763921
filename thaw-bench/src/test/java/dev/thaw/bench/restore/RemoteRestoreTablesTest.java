package dev.thaw.bench.restore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.bench.ProcessCpu;
import dev.thaw.core.config.ByteSize;
import dev.thaw.core.function.BuiltinFunctions;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.snapshot.ChunkDedup;
import dev.thaw.core.stats.LatencySummary;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RemoteRestoreTablesTest {
  private static final String NL = System.lineSeparator();
  private static final FunctionSpec HELLO = BuiltinFunctions.byId("hello").orElseThrow();
  private static final FunctionSpec STATEFUL = BuiltinFunctions.byId("stateful").orElseThrow();

  private static Map<String, Long> parts(long vmm) {
    Map<String, Long> m = new LinkedHashMap<>();
    ProcessCpu.PARTS.forEach(p -> m.put(p, 0L));
    m.put(ProcessCpu.PARTS.get(0), vmm);
    return m;
  }

  private static final List<RestoreFigures> FIGURES =
      List.of(
          new RestoreFigures(
              "local restore",
              LatencySummary.of(List.of(90.0, 95.0, 100.0)),
              1.0,
              0,
              0,
              -1,
              parts(80),
              0,
              0),
          new RestoreFigures(
              "remote, lazy",
              LatencySummary.of(List.of(150.0, 160.0, 170.0)),
              1.6842,
              14_000_000,
              60_000_000,
              230,
              parts(120),
              42,
              17.25));

  @Test
  void theMethodsTableHoldsWhatTheFormatStringPrintedWithBytesPerRestoreAsWideAsItsHeader() {
    // The format string's bytes/restore column was 12 wide, one less than its header: the
    // header pushed the columns after it one to the right. The table widens the column instead.
    String format = "%-32s %4s %8s %8s %8s %8s %13s %9s %10s %6s %8s %7s%n";
    String expected =
        String.format(
                format,
                "method",
                "n",
                "p50 ms",
                "p99 ms",
                "mean ms",
                "÷ local",
                "bytes/restore",
                "÷ memory",
                "all bytes",
                "waits",
                "wait ms",
                "cpu ms")
            + FIGURES.stream()
                .map(
                    r ->
                        String.format(
                            Locale.ROOT,
                            "%-32s %4d %8.0f %8.0f %8.0f %8.2f %13s %9.3f %10s %6d %8.1f %7s%n",
                            r.method(),
                            r.latencyMs().count(),
                            r.latencyMs().p50(),
                            r.latencyMs().p99(),
                            r.latencyMs().mean(),
                            r.ratioToLocal(),
                            ByteSize.format(r.bytesPerRestore()),
                            (double) r.bytesPerRestore() / HELLO.memoryBytes(),
                            ByteSize.format(r.allBytesPerRestore()),
                            r.readWaits(),
                            r.readWaitMs(),
                            r.cpuMsPerRestore() < 0 ? "-" : Long.toString(r.cpuMsPerRestore())))
                .reduce("", String::concat);
    assertThat(RemoteRestoreTables.methods(FIGURES, HELLO)).isEqualTo(expected);
    assertThat(expected).contains(" 1.68 ").contains(" 17.3 ");
  }

  @Test
  void theCpuTableHasAColumnPerPartInTheOrderOfTheParts() {
    StringBuilder expected = new StringBuilder(String.format("%-32s", "cpu ms by part (median)"));
    ProcessCpu.PARTS.forEach(p -> expected.append(String.format(" %13s", p)));
    expected.append(NL);
    for (RestoreFigures r : FIGURES) {
      expected.append(String.format("%-32s", r.method()));
      ProcessCpu.PARTS.forEach(
          p -> expected.append(String.format(" %13s", r.cpuMsByPart().get(p))));
      expected.append(NL);
    }
    assertThat(RemoteRestoreTables.cpuByPart(FIGURES)).isEqualTo(expected.toString());
  }

  @Test
  void theWholeTextIsBothTablesTheLegendAndTheDedupLine() {
    ChunkDedup dedup = new ChunkDedup(4 << 20, 1 << 20, 0.25, 1.2);
    String text =
        RemoteRestoreTables.render(
            new RemoteRestoreRounds.Outcome(FIGURES, Map.of(), dedup), HELLO, STATEFUL);
    assertThat(text)
        .startsWith(NL + RemoteRestoreTables.methods(FIGURES, HELLO))
        .contains(
            "restore fetches after it;"
                + NL
                + "waits, wait ms: reads of the served memory file that waited")
        .contains("resolution 10 ms" + NL + NL + RemoteRestoreTables.cpuByPart(FIGURES) + NL)
        .endsWith(
            "dedup: "
                + ByteSize.format(dedup.sharedBytes())
                + " of hello's "
                + ByteSize.format(dedup.nonZeroBytes())
                + " of non-zero chunks are also in stateful's snapshot (25%); the two together"
                + " store 1.20x less than their non-zero bytes"
                + NL);
  }
}
