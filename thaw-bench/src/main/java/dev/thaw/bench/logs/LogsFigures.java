package dev.thaw.bench.logs;

import dev.thaw.bench.LatencyReport;
import dev.thaw.core.stats.LatencySummary;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * What {@code thaw bench logs} measured: a quiet function's warm invocations alone (before the
 * flood and after it) and beside a neighbour flooding its stdout, in milliseconds, with the flood's
 * length and what the node kept of it.
 *
 * @param before invocations alone, before the flood
 * @param during invocations while the flood ran
 * @param after invocations alone, after the flood
 * @param floodMb MB the noisy function wrote
 * @param floodSeconds how long its flood took to answer
 * @param keptBytes bytes the node keeps of the noisy function's logs
 * @param logCap the node's cap of one function's logs, as given to it
 * @param floodLines the flood's lines the node keeps
 */
public record LogsFigures(
    List<Double> before,
    List<Double> during,
    List<Double> after,
    int floodMb,
    double floodSeconds,
    long keptBytes,
    String logCap,
    FloodLines floodLines) {
  public LogsFigures {
    before = List.copyOf(before);
    during = List.copyOf(during);
    after = List.copyOf(after);
    Objects.requireNonNull(logCap, "logCap");
    Objects.requireNonNull(floodLines, "floodLines");
    if (before.isEmpty() || during.isEmpty() || after.isEmpty()) {
      throw new IllegalArgumentException("need invocations before, during and after the flood");
    }
  }

  /** The invocations alone: those before the flood, then those after. */
  public List<Double> alone() {
    List<Double> alone = new ArrayList<>(before);
    alone.addAll(after);
    return alone;
  }

  /** The quiet function's latencies alone and beside the flood. */
  public String table() {
    return new LatencyReport("thaw bench logs: a quiet function's warm invocations")
        .add("alone", alone())
        .add("beside a flood", during)
        .textTable();
  }

  /** The medians' ratio, the flood's rate, and what the node kept of it against its cap. */
  public String summary() {
    LatencySummary a = LatencySummary.of(alone());
    LatencySummary f = LatencySummary.of(during);
    return String.format(
        Locale.ROOT,
        "p50 beside the flood ÷ alone: %.3f (%.2f vs %.2f ms; alone before %.2f, after %.2f)%n"
            + "flood: %d MB written in %.0f s (%.2f MB/s; the guest holds what is not read yet);"
            + " the node keeps %.2f MiB of its logs (cap %s): %d flood lines, %d missing between"
            + " the first and the last (numbers %d to %d, read over %.1f s: %.2f MB/s, the read"
            + " rate)%n",
        f.p50() / a.p50(),
        f.p50(),
        a.p50(),
        LatencySummary.of(before).p50(),
        LatencySummary.of(after).p50(),
        floodMb,
        floodSeconds,
        floodMb / floodSeconds,
        keptBytes / (double) (1 << 20),
        logCap,
        floodLines.count(),
        floodLines.missing(),
        floodLines.first(),
        floodLines.last(),
        floodLines.spanSeconds(),
        floodLines.readMbPerSecond());
  }
}
