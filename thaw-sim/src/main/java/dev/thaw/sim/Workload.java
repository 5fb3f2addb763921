package dev.thaw.sim;

import dev.thaw.core.trace.ReplayPlan;
import dev.thaw.core.trace.TraceFunction;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Random;

/**
 * The functions of a trace and how their invocations arrive: streamed minute by minute from the
 * per-minute counts (the same spread within a minute as {@code thaw bench trace}, from {@link
 * ReplayPlan#offsets}), or taken from a {@link ReplayPlan} invocation by invocation.
 */
public final class Workload {
  final int functions;
  final long[] guestBytes;
  private final List<TraceFunction> trace;
  private final ReplayPlan plan;
  private final int fromMinute;
  private final int toMinute;
  private final long minuteMillis;
  private final ReplayPlan.Spread spread;

  private Workload(
      List<TraceFunction> trace,
      ReplayPlan plan,
      int fromMinute,
      int toMinute,
      long minuteMillis,
      ReplayPlan.Spread spread) {
    this.trace = List.copyOf(trace);
    this.plan = plan;
    this.functions = trace.size();
    this.guestBytes = new long[functions];
    for (int f = 0; f < functions; f++) {
      guestBytes[f] = (long) trace.get(f).guestMib() << 20;
    }
    this.fromMinute = fromMinute;
    this.toMinute = toMinute;
    this.minuteMillis = minuteMillis;
    this.spread = spread;
  }

  /** Minutes {@code [from, to)} of {@code trace}, a trace minute lasting {@code minuteMillis}. */
  public static Workload streamed(
      List<TraceFunction> trace, int from, int to, long minuteMillis, ReplayPlan.Spread spread) {
    if (from < 0 || to > TraceFunction.MINUTES || from >= to) {
      throw new IllegalArgumentException("bad minute range " + from + "-" + to);
    }
    return new Workload(trace, null, from, to, minuteMillis, Objects.requireNonNull(spread));
  }

  /** Exactly the invocations of {@code plan}, made of {@code sample}. */
  public static Workload of(ReplayPlan plan, List<TraceFunction> sample) {
    return new Workload(sample, plan, 0, plan.minutes(), plan.minuteMillis(), null);
  }

  /** How long the run lasts, in milliseconds of simulated time. */
  long endMillis() {
    return (toMinute - fromMinute) * minuteMillis;
  }

  int minutes() {
    return toMinute - fromMinute;
  }

  /** How long a trace minute lasts here (60 s, shorter in a sped-up replay). */
  long minuteMillis() {
    return minuteMillis;
  }

  /** Invocations in the replayed minutes. */
  public long invocations() {
    if (plan != null) {
      return plan.invocations().size();
    }
    long n = 0;
    for (TraceFunction f : trace) {
      int[] c = f.perMinute();
      for (int m = fromMinute; m < toMinute; m++) {
        n += c[m];
      }
    }
    return n;
  }

  /** One minute's (or a whole plan's) arrivals, in time order; arrays reused between batches. */
  static final class Batch {
    long[] times = new long[1024];
    int[] function = new int[1024];
    long[] durations = new long[1024];
    int size;
    int minute;

    void ensure(int n) {
      if (times.length < n) {
        int len = Math.max(n, times.length * 2);
        times = Arrays.copyOf(times, len);
        function = Arrays.copyOf(function, len);
        durations = Arrays.copyOf(durations, len);
      }
    }
  }

  /** Produces the batches, minute by minute. */
  final class Arrivals {
    private final Random random;
    private int next;
    private double[] offsets = new double[64];
    private int[] at = new int[1024];
    private int[] of = new int[1024];
    private int[] slots = new int[0];
    private final int[][] counts = new int[functions][];
    private final double[][] durations = new double[functions][];

    Arrivals(long seed) {
      this.random = new Random(seed);
      this.next = plan != null ? -1 : fromMinute;
      for (int f = 0; f < functions; f++) {
        counts[f] = trace.get(f).perMinute();
        durations[f] = trace.get(f).durationMs();
      }
    }

    /** Fills {@code b} with the next batch; false when there is none. */
    boolean next(Batch b) {
      if (plan != null) {
        if (next == -2) {
          return false;
        }
        next = -2;
        List<ReplayPlan.Invocation> all = plan.invocations();
        b.ensure(all.size());
        for (int k = 0; k < all.size(); k++) {
          ReplayPlan.Invocation i = all.get(k);
          b.times[k] = i.atMillis();
          b.function[k] = i.function();
          b.durations[k] = i.durationMs();
        }
        b.size = all.size();
        b.minute = 0;
        return true;
      }
      if (next >= toMinute) {
        return false;
      }
      int m = next++;
      long base = (m - fromMinute) * minuteMillis;
      // Arrivals of every function in this minute, then a counting sort by millisecond: stable,
      // so equal times stay in function order.
      int n = 0;
      for (int f = 0; f < functions; f++) {
        int count = counts[f][m];
        if (count == 0) {
          continue;
        }
        if (offsets.length < count) {
          offsets = new double[Math.max(count, offsets.length * 2)];
        }
        if (at.length < n + count) {
          at = Arrays.copyOf(at, Math.max(n + count, at.length * 2));
          of = Arrays.copyOf(of, at.length);
        }
        ReplayPlan.unorderedOffsets(offsets, count, spread, random);
        for (int k = 0; k < count; k++) {
          at[n] = (int) (offsets[k] * minuteMillis);
          of[n++] = f;
        }
      }
      if (slots.length < minuteMillis + 1) {
        slots = new int[(int) minuteMillis + 1];
      }
      Arrays.fill(slots, 0);
      for (int k = 0; k < n; k++) {
        slots[at[k] + 1]++;
      }
      for (int t = 1; t < slots.length; t++) {
        slots[t] += slots[t - 1];
      }
      b.ensure(n);
      for (int k = 0; k < n; k++) {
        int to = slots[at[k]]++;
        b.times[to] = base + at[k];
        b.function[to] = of[k];
      }
      for (int k = 0; k < n; k++) {
        b.durations[k] = ReplayPlan.duration(durations[b.function[k]], random);
      }
      b.size = n;
      b.minute = m - fromMinute;
      return true;
    }
  }
}
