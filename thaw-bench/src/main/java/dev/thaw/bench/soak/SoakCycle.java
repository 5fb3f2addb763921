package dev.thaw.bench.soak;

import java.util.Locale;
import java.util.Objects;

/**
 * What one cycle of {@code thaw bench soak} saw: the boot of a new revision, whether its snapshot
 * was made and verified, and the cold start that followed from it.
 *
 * @param revision the revision the cycle deployed
 * @param function the function it runs
 * @param bootMs boot until the first answer
 * @param snapshotted whether the snapshot was verified and committed to the cache
 * @param restoreSource where the second cold start restored from ({@code -} when there was none)
 * @param restoreMs that cold start until its answer (0 when there was none)
 * @param fallback the agent's reason when that cold start fell back, or empty
 */
public record SoakCycle(
    String revision,
    String function,
    double bootMs,
    boolean snapshotted,
    String restoreSource,
    double restoreMs,
    String fallback) {
  public SoakCycle {
    Objects.requireNonNull(revision, "revision");
    Objects.requireNonNull(function, "function");
    Objects.requireNonNull(restoreSource, "restoreSource");
    Objects.requireNonNull(fallback, "fallback");
  }

  /** Whether the second cold start restored from the node's own cache. */
  public boolean restoredLocally() {
    return restoreSource.equals("local");
  }

  /** The progress line of this cycle, the {@code n}th to finish of {@code cycles}. */
  public String progressLine(int n, int cycles) {
    return String.format(
        Locale.ROOT,
        "[%3d/%d] %-22s boot %6.0f ms  snapshot %-8s restore %-6s %6.0f ms%s",
        n,
        cycles,
        revision,
        bootMs,
        snapshotted ? "verified" : "refused",
        restoreSource,
        restoreMs,
        fallback.isEmpty() ? "" : "  fallback: " + fallback);
  }
}
