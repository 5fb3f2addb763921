package dev.thaw.core.placement;

/**
 * What {@link ExpectedStart} assumes before anything is measured. A boot's prior is the function's
 * boot measured on any node, else {@code bootMs}; the others are shares of the node's expected boot
 * (the ratios of this project's benches, rounded up so that a guess never beats a measurement by
 * much): a local restore took 130 ms against a 7141 ms boot ({@code thaw demo}), a lazy remote
 * restore 1.18 times a local one ({@code thaw bench restore}), and a clone (snapshot, restore,
 * verify) about a second after a boot of eight. An invocation's run, until measured, is assumed to
 * take as long as a local restore: waiting for a busy instance of unknown length is then never
 * preferred to a restore.
 *
 * @param bootMs a boot when no node has measured one
 * @param localShare a local restore, as a share of a boot
 * @param remoteShare a remote restore, as a share of a boot
 * @param cloneShare making a clone, as a share of a boot
 */
public record StartPriors(long bootMs, double localShare, double remoteShare, double cloneShare) {
  /** 10 s boots; restores at 5 % (local) and 10 % (remote) of a boot; clones at 25 %. */
  public static final StartPriors DEFAULT = new StartPriors(10_000, 0.05, 0.10, 0.25);

  public StartPriors {
    if (bootMs <= 0) {
      throw new IllegalArgumentException("a boot's prior must be positive: " + bootMs);
    }
    for (double share : new double[] {localShare, remoteShare, cloneShare}) {
      if (!(share > 0 && share <= 1)) {
        throw new IllegalArgumentException("a prior's share of a boot must be in (0, 1]: " + share);
      }
    }
  }
}
