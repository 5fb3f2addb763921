package dev.thaw.bench.snapshots;

import java.util.List;
import java.util.Objects;

/**
 * The figures of one function of {@code thaw bench snapshots}: its configurations in the order the
 * bench measures them (no snapshot, local snapshot, remote without cache, remote into the cache).
 */
public record FunctionFigures(String function, List<ConfigurationFigures> results) {
  public FunctionFigures {
    Objects.requireNonNull(function, "function");
    results = List.copyOf(results);
  }
}
