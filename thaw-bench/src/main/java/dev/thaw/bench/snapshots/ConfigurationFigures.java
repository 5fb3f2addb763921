package dev.thaw.bench.snapshots;

import dev.thaw.core.bench.BenchRow;
import dev.thaw.core.stats.LatencySummary;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The figures of one snapshot configuration of {@code thaw bench snapshots}, as its table prints
 * them and its JSON holds them (under these names).
 *
 * @param configuration the row's label
 * @param latencyMs cold-start latencies, request to first response
 * @param fetchShare the share of the cold starts' time spent fetching the snapshot
 * @param lazyRestores the cold starts that were lazy restores (the guest answered while its
 *     snapshot, and a root image its node lacked, still arrived); the bytes below are theirs
 * @param memoryBytes median bytes of snapshot (memory and device state) received from remote
 *     storage before a lazy restore's first answer
 * @param rootImageBytes median bytes of root image received from remote storage before a lazy
 *     restore's first answer
 */
public record ConfigurationFigures(
    String configuration,
    LatencySummary latencyMs,
    double fetchShare,
    int lazyRestores,
    long memoryBytes,
    long rootImageBytes) {
  public ConfigurationFigures {
    Objects.requireNonNull(configuration, "configuration");
    Objects.requireNonNull(latencyMs, "latencyMs");
    if (lazyRestores < 0 || memoryBytes < 0 || rootImageBytes < 0) {
      throw new IllegalArgumentException(
          "negative count in "
              + configuration
              + ": "
              + lazyRestores
              + ", "
              + memoryBytes
              + ", "
              + rootImageBytes);
    }
  }

  /** A configuration without lazy restores. */
  public ConfigurationFigures(String configuration, LatencySummary latencyMs, double fetchShare) {
    this(configuration, latencyMs, fetchShare, 0, 0, 0);
  }

  /** The row of the bench's JSON; the bytes only where there were lazy restores. */
  public BenchRow row() {
    Map<String, Object> figures = new LinkedHashMap<>();
    figures.put("fetchShare", fetchShare);
    if (lazyRestores > 0) {
      figures.put("lazyRestores", lazyRestores);
      figures.put("memoryBytesBeforeAnswer", memoryBytes);
      figures.put("rootImageBytesBeforeAnswer", rootImageBytes);
    }
    return new BenchRow(configuration, latencyMs, figures);
  }
}
