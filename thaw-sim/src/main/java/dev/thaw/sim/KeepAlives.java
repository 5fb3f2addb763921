package dev.thaw.sim;

import dev.thaw.core.lifecycle.KeepAlivePolicy;
import java.util.Arrays;

/**
 * Each function's keep-alive, as its agent keeps it: a {@link KeepAlivePolicy} tracker fed with the
 * function's idle periods (from the end of its last invocation to the next arrival while none ran),
 * which says how long an idle instance is kept and whether to stop it and pre-warm one later
 * instead; and the generation of the function's pending pre-warm, so that only the latest fires.
 */
final class KeepAlives {
  private final KeepAlivePolicy.Tracker[] trackers;
  private final long[] lastEnd;
  private final int[] running;
  private final int[] prewarmGen;

  KeepAlives(int functions, KeepAlivePolicy policy) {
    trackers = new KeepAlivePolicy.Tracker[functions];
    for (int f = 0; f < functions; f++) {
      trackers[f] = policy.tracker();
    }
    lastEnd = new long[functions];
    Arrays.fill(lastEnd, -1);
    running = new int[functions];
    prewarmGen = new int[functions];
  }

  /** An invocation of {@code f} arrived at {@code now}: an idle period ends if none ran. */
  void arrived(int f, long now) {
    if (running[f] == 0 && lastEnd[f] >= 0) {
      trackers[f].observeIdle(now - lastEnd[f]);
    }
    running[f]++;
  }

  /** The invocation that arrived was rejected. */
  void rejected(int f) {
    running[f]--;
  }

  /** An invocation of {@code f} ended at {@code now}. */
  void ended(int f, long now) {
    running[f]--;
    lastEnd[f] = Math.max(lastEnd[f], now);
  }

  /** How long an idle instance of {@code f} is kept. */
  long keepAliveMillis(int f) {
    return trackers[f].keepAliveMillis();
  }

  /** After how long to pre-warm {@code f} instead of keeping an instance; 0: keep it. */
  long prewarmMillis(int f) {
    return trackers[f].prewarmMillis();
  }

  /** The generation of a pre-warm scheduled now, which supersedes the ones before. */
  int nextPrewarm(int f) {
    return ++prewarmGen[f];
  }

  /** Whether the pre-warm of generation {@code gen} is still the latest. */
  boolean isLatestPrewarm(int f, int gen) {
    return gen == prewarmGen[f];
  }
}
