package dev.thaw.core.trace;

import java.util.Objects;

/**
 * One function of an Azure Functions 2019 trace: its invocations per minute, its duration
 * percentiles and its app's memory percentiles.
 *
 * @param owner HashOwner
 * @param app HashApp
 * @param function HashFunction
 * @param trigger http, timer, queue, …
 * @param perMinute invocations in each minute of the day (1440 values)
 * @param durationMs duration percentiles in ms: 0, 1, 25, 50, 75, 99, 100
 * @param memoryMb allocated memory percentiles of the app in MB: 1, 5, 25, 50, 75, 95, 99, 100;
 *     empty when the trace has no row for the app
 */
public record TraceFunction(
    String owner,
    String app,
    String function,
    String trigger,
    int[] perMinute,
    double[] durationMs,
    double[] memoryMb) {
  public static final int MINUTES = 1440;

  /** The duration percentiles the trace gives, in order. */
  public static final double[] DURATION_PERCENTILES = {0, 1, 25, 50, 75, 99, 100};

  /** The memory percentiles the trace gives, in order. */
  public static final double[] MEMORY_PERCENTILES = {1, 5, 25, 50, 75, 95, 99, 100};

  public TraceFunction {
    Objects.requireNonNull(function, "function");
    if (perMinute.length != MINUTES) {
      throw new IllegalArgumentException("perMinute must have " + MINUTES + " values");
    }
  }

  /** Invocations over the whole day. */
  public long total() {
    long n = 0;
    for (int c : perMinute) {
      n += c;
    }
    return n;
  }

  /**
   * The guest memory a replay gives this function, in MiB: its app's median allocation rounded up
   * to 64 MiB, within 128..512 (256 when the trace has no memory row for the app). Replays on real
   * agents and the simulator use this one rule.
   */
  public int guestMib() {
    int mib = 256;
    if (memoryMb.length == MEMORY_PERCENTILES.length) {
      mib = (int) Math.ceil(memoryMb[3] / 64.0) * 64;
    }
    return Math.max(128, Math.min(512, mib));
  }

  /** A stable short id for this function. */
  public String key() {
    return owner + "/" + app + "/" + function;
  }
}
