package dev.thaw.sim;

import dev.thaw.core.lifecycle.PrefetchPredictor;
import java.util.Arrays;

/**
 * When to fetch each function's snapshot ahead of its next cold start: the function's {@link
 * PrefetchPredictor} learns the gaps between its arrivals (in the workload's minutes, as the agents
 * of a sped-up replay count them) and, after each, says when the next is due less the time a fetch
 * of its snapshot takes (the model's miss cost). A generation per function lets only the latest
 * prediction fire. Whether the fetch is still worth it when it fires (no node caches the snapshot,
 * no instance is idle) is the simulator's to check.
 */
final class PrefetchSchedule {
  private final long minuteMillis;
  private final long[] fetchMs;
  private final PrefetchPredictor[] predictors;
  private final long[] lastArrival;
  private final int[] generation;

  PrefetchSchedule(Workload w, SimModel m) {
    int f = w.functions;
    minuteMillis = w.minuteMillis();
    fetchMs = new long[f];
    for (int i = 0; i < f; i++) {
      fetchMs[i] = Math.round(m.missCostMs(w.guestBytes[i]));
    }
    predictors = new PrefetchPredictor[f];
    lastArrival = new long[f];
    Arrays.fill(lastArrival, -1);
    generation = new int[f];
  }

  /**
   * An invocation of {@code f} arrived at {@code now}.
   *
   * @return when to prefetch its snapshot (with {@link #generation} now the latest), or -1
   */
  long arrived(int f, long now) {
    long at = -1;
    if (lastArrival[f] >= 0) {
      if (predictors[f] == null) {
        predictors[f] = new PrefetchPredictor(minuteMillis);
      }
      predictors[f].observeGap(now - lastArrival[f]);
      long after = predictors[f].prefetchAfterMillis(fetchMs[f]);
      if (after >= 0) {
        generation[f]++;
        at = now + after;
      }
    }
    lastArrival[f] = now;
    return at;
  }

  /** The generation of {@code f}'s latest prediction. */
  int generation(int f) {
    return generation[f];
  }
}
