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

  /** Produces the batches, minute by minute; at most this many functions (20 bits of index). */
  final class Arrivals {
    private final Random random;
    private int next;
    private long[] packed = new long[1024];

    Arrivals(long seed) {
      this.random = new Random(seed);
      this.next = plan != null ? -1 : fromMinute;
      if (functions >= 1 << 20) {
        throw new IllegalArgumentException("at most " + ((1 << 20) - 1) + " functions");
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
      int n = 0;
      for (int f = 0; f < functions; f++) {
        int count = trace.get(f).perMinute()[m];
        if (count == 0) {
          continue;
        }
        if (packed.length < n + count) {
          packed = Arrays.copyOf(packed, Math.max(n + count, packed.length * 2));
        }
        double[] offsets = ReplayPlan.offsets(count, spread, random);
        for (double o : offsets) {
          long t = base + (long) (o * minuteMillis);
          packed[n++] = t << 20 | f;
        }
      }
      Arrays.sort(packed, 0, n);
      b.ensure(n);
      for (int k = 0; k < n; k++) {
        int f = (int) (packed[k] & ((1 << 20) - 1));
        b.times[k] = packed[k] >>> 20;
        b.function[k] = f;
        b.durations[k] = ReplayPlan.duration(trace.get(f).durationMs(), random);
      }
      b.size = n;
      b.minute = m - fromMinute;
      return true;
    }
  }
}
