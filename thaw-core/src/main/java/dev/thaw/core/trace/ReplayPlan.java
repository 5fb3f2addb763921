package dev.thaw.core.trace;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Turns trace functions into a schedule of invocations, as the vHive loader does: each minute's
 * count is spread within the (scaled) minute, and each invocation's duration is drawn between the
 * function's duration percentiles.
 *
 * @param invocations the schedule, ordered by time
 * @param minutes the minutes replayed
 * @param minuteMillis how long one trace minute lasts in the replay
 */
public record ReplayPlan(List<Invocation> invocations, int minutes, long minuteMillis) {

  /** How invocations are placed within their minute. */
  public enum Spread {
    /** Poisson arrivals: exponential gaps, rescaled to fit the minute. */
    EXPONENTIAL,
    /** Independent uniform times within the minute. */
    UNIFORM,
    /** Evenly spaced. */
    EQUIDISTANT;

    /**
     * Parses a spread's name, in any case.
     *
     * @throws IllegalArgumentException naming the spreads there are
     */
    public static Spread parse(String s) {
      try {
        return valueOf(s.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "spread must be exponential, uniform or equidistant, not '" + s + "'", e);
      }
    }
  }

  /**
   * One planned invocation.
   *
   * @param function index of the function in the list given to {@link #of}
   * @param minute trace minute (0-based within the replayed range)
   * @param atMillis when to send it, from the start of the replay
   * @param durationMs how long the function should run
   */
  public record Invocation(int function, int minute, long atMillis, long durationMs) {}

  /**
   * Plans minutes {@code [fromMinute, toMinute)} of {@code functions}; one trace minute lasts
   * {@code minuteMillis} in the replay (60 000 for real time).
   */
  public static ReplayPlan of(
      List<TraceFunction> functions,
      int fromMinute,
      int toMinute,
      long minuteMillis,
      Spread spread,
      long seed) {
    if (fromMinute < 0 || toMinute > TraceFunction.MINUTES || fromMinute >= toMinute) {
      throw new IllegalArgumentException(
          "minute range must lie within 0..1440 and not be empty: " + fromMinute + "-" + toMinute);
    }
    if (minuteMillis < 100) {
      throw new IllegalArgumentException("a replayed minute must last at least 100 ms");
    }
    Random random = new Random(seed);
    List<Invocation> out = new ArrayList<>();
    for (int f = 0; f < functions.size(); f++) {
      TraceFunction fn = functions.get(f);
      for (int m = fromMinute; m < toMinute; m++) {
        int count = fn.perMinute()[m];
        double[] offsets = offsets(count, spread, random);
        for (double offset : offsets) {
          long at = (long) ((m - fromMinute + offset) * minuteMillis);
          out.add(new Invocation(f, m - fromMinute, at, duration(fn.durationMs(), random)));
        }
      }
    }
    out.sort(Comparator.comparingLong(Invocation::atMillis).thenComparingInt(Invocation::function));
    return new ReplayPlan(List.copyOf(out), toMinute - fromMinute, minuteMillis);
  }

  /**
   * The functions a replay of {@code range} takes: those invoked in it, shuffled with {@code seed},
   * the first {@code count} of them. {@code thaw bench trace} and {@code thaw simulate} sample with
   * this one rule, so that a simulation can replay what a bench run replayed.
   */
  public static List<TraceFunction> sample(
      List<TraceFunction> all, MinuteRange range, int count, long seed) {
    List<TraceFunction> active = new ArrayList<>();
    for (TraceFunction f : all) {
      long n = 0;
      for (int m = range.from(); m < range.to(); m++) {
        n += f.perMinute()[m];
      }
      if (n > 0) {
        active.add(f);
      }
    }
    java.util.Collections.shuffle(active, new Random(seed));
    return List.copyOf(active.subList(0, Math.min(count, active.size())));
  }

  /**
   * Positions in [0, 1) of {@code count} invocations within a minute, in order: the one place that
   * spreads a minute's count, for replays and for the simulator's streamed arrivals alike.
   */
  public static double[] offsets(int count, Spread spread, Random random) {
    double[] o = new double[count];
    switch (spread) {
      case EQUIDISTANT -> {
        for (int i = 0; i < count; i++) {
          o[i] = (double) i / count;
        }
      }
      case UNIFORM -> {
        for (int i = 0; i < count; i++) {
          o[i] = random.nextDouble();
        }
        java.util.Arrays.sort(o);
      }
      case EXPONENTIAL -> {
        double t = 0;
        for (int i = 0; i < count; i++) {
          t += -Math.log(1 - random.nextDouble());
          o[i] = t;
        }
        double end = t - Math.log(1 - random.nextDouble());
        for (int i = 0; i < count; i++) {
          o[i] /= end;
        }
      }
    }
    return o;
  }

  /**
   * Positions in [0, 1) of {@code count} invocations within a minute, drawn as {@link #offsets}
   * would but in no particular order, into {@code out}: for a caller that sorts a whole minute of
   * many functions at once. Exponential gaps rescaled to the minute, as {@link #offsets} draws
   * them, are distributed exactly as sorted uniform times (a Poisson process given its count), so
   * both come out as uniform draws here.
   */
  public static void unorderedOffsets(double[] out, int count, Spread spread, Random random) {
    if (spread == Spread.EQUIDISTANT) {
      for (int i = 0; i < count; i++) {
        out[i] = (double) i / count;
      }
    } else {
      for (int i = 0; i < count; i++) {
        out[i] = random.nextDouble();
      }
    }
  }

  /** A duration drawn uniformly between two adjacent percentiles, chosen by their mass. */
  public static long duration(double[] percentilesMs, Random random) {
    double u = random.nextDouble() * 100;
    double[] p = TraceFunction.DURATION_PERCENTILES;
    for (int i = 1; i < p.length; i++) {
      if (u <= p[i]) {
        double lo = percentilesMs[i - 1];
        double hi = percentilesMs[i];
        double within = (u - p[i - 1]) / (p[i] - p[i - 1]);
        return Math.max(1, Math.round(lo + within * (hi - lo)));
      }
    }
    return Math.max(1, Math.round(percentilesMs[percentilesMs.length - 1]));
  }

  /**
   * The most invocations in flight at once if each lasted its duration plus {@code coldStartMs} (a
   * pessimistic bound: every invocation a cold start).
   */
  public int peakConcurrency(long coldStartMs) {
    List<long[]> events = new ArrayList<>();
    for (Invocation i : invocations) {
      events.add(new long[] {i.atMillis(), 1});
      events.add(new long[] {i.atMillis() + i.durationMs() + coldStartMs, -1});
    }
    events.sort(Comparator.<long[]>comparingLong(e -> e[0]).thenComparingLong(e -> e[1]));
    int now = 0;
    int peak = 0;
    for (long[] e : events) {
      now += (int) e[1];
      peak = Math.max(peak, now);
    }
    return peak;
  }
}
