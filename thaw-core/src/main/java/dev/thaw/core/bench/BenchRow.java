package dev.thaw.core.bench;

import dev.thaw.core.stats.LatencySummary;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;

/**
 * One row of a bench's table: what it measured under one label.
 *
 * @param label the row's label as the bench prints it ({@link ModelRow} names those the simulator
 *     reads)
 * @param latencyMs the row's latencies in ms; read from a document that gives only some percentiles
 *     (the simulator's committed model, taken from published bench tables), the others are NaN and
 *     the count 0
 * @param figures the row's other figures by their JSON name, in the order written: numbers (bytes,
 *     counts, ratios), or a map of numbers for a breakdown ({@code cpuMsByPart})
 */
public record BenchRow(String label, LatencySummary latencyMs, Map<String, Object> figures) {
  /** Median bytes received from remote storage per restore, before the first answer. */
  public static final String BYTES_PER_RESTORE = "bytesPerRestore";

  public BenchRow {
    Objects.requireNonNull(label, "label");
    Objects.requireNonNull(latencyMs, "latencyMs");
    figures = Collections.unmodifiableMap(new LinkedHashMap<>(figures));
    for (var e : figures.entrySet()) {
      if (!(e.getValue() instanceof Number) && !(e.getValue() instanceof Map<?, ?>)) {
        throw new IllegalArgumentException(
            "figure '" + e.getKey() + "' of row '" + label + "' is neither a number nor a map");
      }
    }
  }

  /** A row with its latencies alone. */
  public static BenchRow of(String label, LatencySummary latencyMs) {
    return new BenchRow(label, latencyMs, Map.of());
  }

  /** The number figure {@code name}, if the row has it. */
  public OptionalDouble figure(String name) {
    return figures.get(name) instanceof Number n
        ? OptionalDouble.of(n.doubleValue())
        : OptionalDouble.empty();
  }
}
