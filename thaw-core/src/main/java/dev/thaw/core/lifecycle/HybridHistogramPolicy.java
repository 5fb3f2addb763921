package dev.thaw.core.lifecycle;

/**
 * The hybrid histogram keep-alive policy of Shahrad et al., "Serverless in the Wild" (ATC '20), per
 * function:
 *
 * <ul>
 *   <li>idle times (end of one invocation to the start of the next) go into a 4-hour histogram of
 *       one-minute bins ({@link IdleHistogram});
 *   <li>when it is representative — at least {@value #MIN_SAMPLES} idle times, at most half of them
 *       beyond the range, and a coefficient of variation of the bin counts of at least {@value
 *       #MIN_VARIATION} — the pre-warm window is the 5th percentile of the idle times (its bin's
 *       lower edge) less a 10% margin, and the keep-alive window reaches the 99th percentile (its
 *       bin's upper edge) plus a 10% margin, counted from the end of the pre-warm window;
 *   <li>otherwise the fixed window applies (pre-warm 0). The paper forecasts functions whose idle
 *       times mostly exceed the range with a time series model; here they get the fixed window too.
 * </ul>
 *
 * A tracker recomputes its windows lazily, at most once per 1/32 growth of its sample count, so a
 * function invoked a million times costs a few hundred recomputations, not a million.
 */
final class HybridHistogramPolicy implements KeepAlivePolicy {
  static final int RANGE_MINUTES = 240;
  static final int MIN_SAMPLES = 10;
  static final double MIN_VARIATION = 2;
  static final double HEAD_PERCENTILE = 5;
  static final double TAIL_PERCENTILE = 99;
  static final double MARGIN = 0.10;
  private static final long MINUTE = 60_000;

  private final long fallbackMillis;

  HybridHistogramPolicy(long fallbackMillis) {
    this.fallbackMillis = fallbackMillis;
  }

  @Override
  public Tracker tracker() {
    return new HistogramTracker(fallbackMillis);
  }

  @Override
  public String label() {
    return "hybrid";
  }

  static final class HistogramTracker implements Tracker {
    private final IdleHistogram histogram = new IdleHistogram(RANGE_MINUTES);
    private final long fallbackMillis;
    private long sinceRefresh;
    private long prewarm;
    private long keepAlive;

    HistogramTracker(long fallbackMillis) {
      this.fallbackMillis = fallbackMillis;
      this.keepAlive = fallbackMillis;
    }

    @Override
    public void observeIdle(long idleMillis) {
      histogram.add(idleMillis);
      long total = histogram.inRange() + histogram.outOfBounds();
      if (++sinceRefresh >= Math.max(1, total >> 5)) {
        sinceRefresh = 0;
        refresh();
      }
    }

    private void refresh() {
      long total = histogram.inRange() + histogram.outOfBounds();
      if (total < MIN_SAMPLES
          || histogram.outOfBounds() * 2 > total
          || histogram.binCountVariation() < MIN_VARIATION) {
        prewarm = 0;
        keepAlive = fallbackMillis;
        return;
      }
      long head = histogram.percentileBin(HEAD_PERCENTILE) * MINUTE;
      long tail = (histogram.percentileBin(TAIL_PERCENTILE) + 1) * MINUTE;
      prewarm = Math.round(head * (1 - MARGIN));
      keepAlive = Math.max(MINUTE, Math.round(tail * (1 + MARGIN)) - prewarm);
    }

    /** Whether the windows now come from the histogram rather than the fallback. */
    boolean fromHistogram() {
      return prewarm != 0 || keepAlive != fallbackMillis;
    }

    @Override
    public long prewarmMillis() {
      return prewarm;
    }

    @Override
    public long keepAliveMillis() {
      return keepAlive;
    }
  }
}
