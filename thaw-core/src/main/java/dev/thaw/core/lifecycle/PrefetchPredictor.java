package dev.thaw.core.lifecycle;

/**
 * Predicts when a function is next invoked, from the histogram of its inter-arrival times, so that
 * its snapshot can be fetched into a node's cache ahead of the cold start (the future work of the
 * thesis the project re-imagines). One per function; not thread-safe.
 *
 * <p>After an arrival, the next one is expected no sooner than the {@value #HEAD_PERCENTILE}th
 * percentile of the gaps seen (its bin's lower edge): a prefetch issued that long after the arrival
 * less {@code leadMillis} is in time for about 95% of next arrivals. No prediction while fewer than
 * {@value #MIN_SAMPLES} gaps were seen, while most gaps lie beyond the 4-hour range, or when the
 * head lies within the first minute (the function is too busy for a prefetch to matter: a warm
 * instance or a cached snapshot is there anyway).
 *
 * <p>A minute is 60 s of the caller's clock unless given otherwise ({@link
 * #PrefetchPredictor(long)}): a trace replayed six times faster than real time has 10-second
 * minutes, and a predictor fed its real gaps predicts in them as one fed the trace's would.
 */
public final class PrefetchPredictor {
  static final int RANGE_MINUTES = 240;
  static final int MIN_SAMPLES = 5;
  static final double HEAD_PERCENTILE = 5;
  private static final long MINUTE = 60_000;

  private final IdleHistogram gaps = new IdleHistogram(RANGE_MINUTES);
  private final long minuteMillis;
  private long sinceRefresh;
  private int head = -1;
  private int median = -1;

  /** A predictor of 60-second minutes. */
  public PrefetchPredictor() {
    this(MINUTE);
  }

  /** A predictor whose minute (its histogram's bin) lasts {@code minuteMillis}. */
  public PrefetchPredictor(long minuteMillis) {
    if (minuteMillis < 1) {
      throw new IllegalArgumentException("a minute lasts at least 1 ms, not " + minuteMillis);
    }
    this.minuteMillis = minuteMillis;
  }

  /**
   * Records the time between two consecutive arrivals. The prediction is recomputed at most once
   * per 1/32 growth of the gaps seen: a function invoked a million times costs a few hundred
   * recomputations.
   */
  public void observeGap(long gapMillis) {
    gaps.add(minuteMillis == MINUTE ? gapMillis : gapMillis / minuteMillis * MINUTE);
    long total = gaps.inRange() + gaps.outOfBounds();
    if (++sinceRefresh >= Math.max(1, total >> 5)) {
      sinceRefresh = 0;
      boolean unpredictable = total < MIN_SAMPLES || gaps.outOfBounds() * 2 > total;
      head = unpredictable ? -1 : gaps.percentileBin(HEAD_PERCENTILE);
      median = unpredictable ? -1 : gaps.percentileBin(50);
    }
  }

  /**
   * The gap after an arrival before which the next is rarely seen (the head's lower edge); -1 when
   * there is no useful prediction.
   */
  public long headMillis() {
    return head < 1 ? -1 : head * minuteMillis;
  }

  /**
   * The gap after an arrival by which the next has most likely come (the end of the median gap's
   * minute); -1 when there is no useful prediction.
   */
  public long likelyByMillis() {
    return head < 1 ? -1 : (median + 1) * minuteMillis;
  }

  /**
   * How long after an arrival to prefetch, given that a fetch takes about {@code leadMillis}; -1
   * when there is no useful prediction.
   */
  public long prefetchAfterMillis(long leadMillis) {
    if (head < 1) {
      return -1;
    }
    return Math.max(0, head * minuteMillis - leadMillis);
  }
}
