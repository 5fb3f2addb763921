package dev.thaw.bench.load;

import java.util.Objects;

/**
 * What {@code thaw bench load} measured: the warm load through the gateway beside the same load
 * straight to the guests, and the cold burst.
 *
 * @param warm the warm load
 * @param burst the cold burst
 */
public record LoadFigures(WarmLoadFigures warm, BurstFigures burst) {
  public LoadFigures {
    Objects.requireNonNull(warm, "warm");
    Objects.requireNonNull(burst, "burst");
  }

  /** Whether both halves met their targets. */
  public boolean metTargets() {
    return warm.metTargets() && burst.metTargets();
  }

  /** The warm table, then the burst's. */
  public String table() {
    return warm.table() + System.lineSeparator() + burst.table();
  }
}
