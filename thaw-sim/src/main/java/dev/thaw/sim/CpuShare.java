package dev.thaw.sim;

import java.util.Arrays;

/**
 * The cores of each host, shared by the starts in progress on it (processor sharing): with {@code
 * k} starts on {@code C} cores each advances at {@code min(1, C ÷ k)} of its own pace, so a start
 * whose bench time is {@code w} takes {@code w} while at most {@code C} run at once and {@code w ×
 * k ÷ C} while {@code k} run throughout. Under TCG a guest's virtual CPU is one host thread busy
 * all through a boot or a restore, and the kernel's scheduler shares the cores evenly among them;
 * the bench measured each start alone.
 *
 * <p>Each host keeps a virtual clock: the work (in milliseconds of bench time) that every start in
 * progress has received. A start that arrives at virtual time {@code v} with work {@code w} is done
 * when the clock reaches {@code v + w}, so starts finish in the order of those targets however the
 * rate changes; only the next finish time moves. Primitive arrays, grown per host as needed; not
 * thread-safe.
 */
final class CpuShare {
  /** Work left below this is done: the finish time is rounded up to a whole millisecond. */
  private static final double EPSILON = 1e-6;

  private final double cores;
  private final double[] virtual;
  private final long[] since;
  private final int[] count;
  private final int[] gen;
  private final int[][] jobs;
  private final double[][] targets;

  /**
   * @param hosts hosts, numbered from 0
   * @param cores cores of each host, at least 1
   */
  CpuShare(int hosts, int cores) {
    if (hosts < 1 || cores < 1) {
      throw new IllegalArgumentException("hosts and cores must be at least 1");
    }
    this.cores = cores;
    virtual = new double[hosts];
    since = new long[hosts];
    count = new int[hosts];
    gen = new int[hosts];
    jobs = new int[hosts][];
    targets = new double[hosts][];
  }

  /** Starts in progress on {@code host}. */
  int running(int host) {
    return count[host];
  }

  /** The generation of {@code host}'s schedule: an event of an older one is out of date. */
  int generation(int host) {
    return gen[host];
  }

  /** Adds a start of {@code workMs} bench time on {@code host} at {@code now}. */
  void add(int host, int job, double workMs, long now) {
    advance(host, now);
    int n = count[host];
    if (jobs[host] == null) {
      jobs[host] = new int[4];
      targets[host] = new double[4];
    } else if (n == jobs[host].length) {
      jobs[host] = Arrays.copyOf(jobs[host], n * 2);
      targets[host] = Arrays.copyOf(targets[host], n * 2);
    }
    jobs[host][n] = job;
    targets[host][n] = virtual[host] + Math.max(0, workMs);
    count[host] = n + 1;
  }

  /**
   * When the next start on {@code host} finishes at the current rate (rounded up to a whole
   * millisecond), or -1 when none runs. Starts a new generation: the finish time given before is
   * out of date.
   */
  long nextFinish(int host) {
    gen[host]++;
    int n = count[host];
    if (n == 0) {
      return -1;
    }
    double least = Double.POSITIVE_INFINITY;
    for (int k = 0; k < n; k++) {
      least = Math.min(least, targets[host][k]);
    }
    double left = Math.max(0, least - virtual[host]);
    return since[host] + (long) Math.ceil(left / rate(n) - EPSILON);
  }

  /**
   * Takes the starts on {@code host} that are done by {@code now} out of the share.
   *
   * @param out receives their jobs (at least as long as {@link #running})
   * @return how many finished
   */
  int finish(int host, long now, int[] out) {
    advance(host, now);
    int n = count[host];
    int done = 0;
    int k = 0;
    while (k < n) {
      if (targets[host][k] <= virtual[host] + EPSILON) {
        out[done++] = jobs[host][k];
        n--;
        jobs[host][k] = jobs[host][n];
        targets[host][k] = targets[host][n];
      } else {
        k++;
      }
    }
    count[host] = n;
    return done;
  }

  private void advance(int host, long now) {
    int n = count[host];
    if (n > 0) {
      virtual[host] += (now - since[host]) * rate(n);
    }
    since[host] = now;
  }

  private double rate(int running) {
    return running <= cores ? 1 : cores / running;
  }
}
