package dev.thaw.bench.vm;

import dev.thaw.core.stats.LatencySummary;
import java.util.Objects;

/**
 * What {@code thaw bench vm} measured: time to first response of the cold boots and of the restores
 * of one snapshot, in milliseconds.
 */
public record BootRestoreTimes(LatencySummary bootMs, LatencySummary restoreMs) {
  public BootRestoreTimes {
    Objects.requireNonNull(bootMs, "bootMs");
    Objects.requireNonNull(restoreMs, "restoreMs");
  }

  /** The restores' median over the boots' median: the share of a boot a restore costs. */
  public double restoreOverBootMedian() {
    return restoreMs.p50() / bootMs.p50();
  }
}
