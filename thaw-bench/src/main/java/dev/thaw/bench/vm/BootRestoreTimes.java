package dev.thaw.bench.vm;

import dev.thaw.core.stats.LatencySummary;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@code thaw bench vm} measured: time to first response of the cold boots and of the restores
 * of one snapshot, in milliseconds; {@code pooledMs}, of the restores on a pooled QEMU, is null
 * when there were none.
 */
public record BootRestoreTimes(
    LatencySummary bootMs, LatencySummary restoreMs, LatencySummary pooledMs) {
  public BootRestoreTimes {
    Objects.requireNonNull(bootMs, "bootMs");
    Objects.requireNonNull(restoreMs, "restoreMs");
  }

  /** Boots and restores without a pool. */
  public BootRestoreTimes(LatencySummary bootMs, LatencySummary restoreMs) {
    this(bootMs, restoreMs, null);
  }

  /** The restores on a pooled QEMU, if there were any. */
  public Optional<LatencySummary> pooled() {
    return Optional.ofNullable(pooledMs);
  }

  /** The pooled restores' median over the plain restores' median, if there were pooled ones. */
  public Optional<Double> pooledOverRestoreMedian() {
    return pooled().map(p -> p.p50() / restoreMs.p50());
  }

  /** The restores' median over the boots' median: the share of a boot a restore costs. */
  public double restoreOverBootMedian() {
    return restoreMs.p50() / bootMs.p50();
  }
}
