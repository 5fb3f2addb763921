package dev.thaw.bench.snapshots;

import dev.thaw.core.bench.BenchRow;
import dev.thaw.core.stats.LatencySummary;
import java.util.Map;
import java.util.Objects;

/**
 * The figures of one snapshot configuration of {@code thaw bench snapshots}, as its table prints
 * them and its JSON holds them (under these names).
 *
 * @param configuration the row's label
 * @param latencyMs cold-start latencies, request to first response
 * @param fetchShare the share of the cold starts' time spent fetching the snapshot
 */
public record ConfigurationFigures(
    String configuration, LatencySummary latencyMs, double fetchShare) {
  public ConfigurationFigures {
    Objects.requireNonNull(configuration, "configuration");
    Objects.requireNonNull(latencyMs, "latencyMs");
  }

  /** The row of the bench's JSON. */
  public BenchRow row() {
    return new BenchRow(configuration, latencyMs, Map.of("fetchShare", fetchShare));
  }
}
