package dev.thaw.bench.restore;

import dev.thaw.bench.ProcessCpu;
import dev.thaw.core.bench.BenchRow;
import dev.thaw.core.stats.LatencySummary;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The figures of one restore method of {@code thaw bench remote}, as its table prints them and its
 * JSON holds them: medians over the counted rounds, so that one slow round does not move them.
 *
 * @param method the row's label
 * @param latencyMs cold-start latencies of the counted rounds
 * @param ratioToLocal median latency ÷ the local restore's median
 * @param bytesPerRestore median bytes received from storage per restore before the first answer
 * @param allBytesPerRestore median bytes received per restore in all, background fetch included
 * @param cpuMsPerRestore median CPU time the whole machine spent per restore (all cores, every
 *     process, the kernel), or -1 where it cannot be read
 * @param cpuMsByPart median CPU time per part of this process and its children ({@link
 *     ProcessCpu#PARTS}); zeros where {@code /proc} cannot be read
 * @param readWaits median reads of the served memory file that waited for a chunk from the network
 *     before the first answer, per restore (lazy restores; 0 for the others)
 * @param readWaitMs median time those reads waited in all, per restore
 */
public record RestoreFigures(
    String method,
    LatencySummary latencyMs,
    double ratioToLocal,
    long bytesPerRestore,
    long allBytesPerRestore,
    long cpuMsPerRestore,
    Map<String, Long> cpuMsByPart,
    long readWaits,
    double readWaitMs) {

  /** The row of the bench's JSON, its figures under the names above. */
  public BenchRow row() {
    Map<String, Object> figures = new LinkedHashMap<>();
    figures.put("ratioToLocal", ratioToLocal);
    figures.put(BenchRow.BYTES_PER_RESTORE, bytesPerRestore);
    figures.put("allBytesPerRestore", allBytesPerRestore);
    figures.put("cpuMsPerRestore", cpuMsPerRestore);
    figures.put("cpuMsByPart", cpuMsByPart);
    figures.put("readWaits", readWaits);
    figures.put("readWaitMs", readWaitMs);
    return new BenchRow(method, latencyMs, figures);
  }

  /** What the counted rounds measured of one method, one value per round. */
  static final class Samples {
    final List<Double> ms = new ArrayList<>();
    final List<Double> bytes = new ArrayList<>();
    final List<Double> allBytes = new ArrayList<>();
    final List<Double> cpuMs = new ArrayList<>();
    final List<Double> waits = new ArrayList<>();
    final List<Double> waitMs = new ArrayList<>();
    final Map<String, List<Double>> byPart = new LinkedHashMap<>();

    /** The medians, against a local restore's median of {@code localP50}. */
    RestoreFigures figures(String method, double localP50) {
      LatencySummary s = LatencySummary.of(ms);
      Map<String, Long> partMs = new LinkedHashMap<>();
      byPart.forEach((part, v) -> partMs.put(part, Math.round(LatencySummary.of(v).p50())));
      return new RestoreFigures(
          method,
          s,
          s.p50() / localP50,
          (long) LatencySummary.of(bytes).p50(),
          (long) LatencySummary.of(allBytes).p50(),
          cpuMs.isEmpty() ? -1 : (long) LatencySummary.of(cpuMs).p50(),
          partMs,
          waits.isEmpty() ? 0 : Math.round(LatencySummary.of(waits).p50()),
          waitMs.isEmpty() ? 0 : LatencySummary.of(waitMs).p50());
    }
  }
}
