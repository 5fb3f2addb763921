package dev.thaw.core.lifecycle;

/**
 * A histogram of times in one-minute bins over a bounded range, with a count of the times beyond
 * it: the "range-limited histogram" of Shahrad et al. ("Serverless in the Wild", ATC '20), which
 * keeps one per function for the times between its invocations. Constant memory, no allocation
 * after construction; not thread-safe.
 */
public final class IdleHistogram {
  private static final long MINUTE_MILLIS = 60_000;

  private final int[] bins;
  private long inRange;
  private long outOfBounds;

  /** A histogram of {@code rangeMinutes} one-minute bins. */
  public IdleHistogram(int rangeMinutes) {
    if (rangeMinutes < 1) {
      throw new IllegalArgumentException("range must be at least one minute: " + rangeMinutes);
    }
    this.bins = new int[rangeMinutes];
  }

  /** Counts one time ({@code millis} ≥ 0; negative counts as 0). */
  public void add(long millis) {
    long minute = Math.max(0, millis) / MINUTE_MILLIS;
    if (minute >= bins.length) {
      outOfBounds++;
    } else {
      bins[(int) minute]++;
      inRange++;
    }
  }

  /** Times counted within the range. */
  public long inRange() {
    return inRange;
  }

  /** Times counted beyond the range. */
  public long outOfBounds() {
    return outOfBounds;
  }

  /** The range in minutes. */
  public int rangeMinutes() {
    return bins.length;
  }

  /**
   * The bin (0-based minute) holding the {@code percentile}-th percentile of the times in range, by
   * nearest rank; -1 when the histogram holds none.
   */
  public int percentileBin(double percentile) {
    if (inRange == 0) {
      return -1;
    }
    long rank = Math.max(1, (long) Math.ceil(percentile / 100.0 * inRange));
    long seen = 0;
    for (int i = 0; i < bins.length; i++) {
      seen += bins[i];
      if (seen >= rank) {
        return i;
      }
    }
    return bins.length - 1;
  }

  /**
   * Coefficient of variation of the bin counts (standard deviation over mean): high when the times
   * gather in a few bins (a pattern worth following), low when they spread evenly.
   */
  public double binCountVariation() {
    if (inRange == 0) {
      return 0;
    }
    double mean = (double) inRange / bins.length;
    double sum = 0;
    for (int c : bins) {
      double d = c - mean;
      sum += d * d;
    }
    return Math.sqrt(sum / bins.length) / mean;
  }
}
