package dev.thaw.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.bench.warm.WarmInvocationRounds;
import dev.thaw.core.stats.LatencySummary;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BenchWarmCommandTest {
  @Test
  void theTableHoldsWhatTheFormatStringsPrintedEachRowAgainstTheGuestsOnItsConnectionKind() {
    Map<String, LatencySummary> rows = new LinkedHashMap<>();
    double[][] ms = {{0.41, 0.5}, {1.2, 1.3}, {0.9, 1.0}, {2.1, 2.4}, {1.5, 1.7}, {3.3, 3.9}};
    int i = 0;
    for (String path :
        List.of(
            WarmInvocationRounds.GUEST, WarmInvocationRounds.AGENT, WarmInvocationRounds.GATEWAY)) {
      rows.put(
          WarmInvocationRounds.keptAlive(path), LatencySummary.of(List.of(ms[i][0], ms[i][1])));
      i++;
      rows.put(
          WarmInvocationRounds.newConnection(path), LatencySummary.of(List.of(ms[i][0], ms[i][1])));
      i++;
    }
    double guestKept = rows.get("guest, kept alive").p50();
    double guestNew = rows.get("guest, new connection").p50();
    StringBuilder expected =
        new StringBuilder(
            String.format(
                "%-28s %10s %10s %10s %14s%n",
                "warm invocation", "median ms", "p90 ms", "p99 ms", "+ over guest"));
    rows.forEach(
        (name, x) ->
            expected.append(
                String.format(
                    Locale.ROOT,
                    "%-28s %10.2f %10.2f %10.2f %+14.2f%n",
                    name,
                    x.p50(),
                    x.p90(),
                    x.p99(),
                    x.p50() - (name.endsWith(", kept alive") ? guestKept : guestNew))));
    assertThat(BenchWarmCommand.table(rows)).isEqualTo(expected.toString()).contains("+0.00");
  }
}
