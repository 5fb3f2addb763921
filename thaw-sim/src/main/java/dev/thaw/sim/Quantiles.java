package dev.thaw.sim;

import dev.thaw.core.stats.LatencySummary;
import java.util.Objects;
import tools.jackson.databind.JsonNode;

/**
 * A latency distribution known by its percentiles — the fields of the benches' {@code
 * LatencySummary} — sampled by linear interpolation between them (inverse transform).
 *
 * @param ms the values at {@link #LEVELS} (min, p10, p25, p50, p75, p90, p95, p99, max), ascending
 */
public record Quantiles(double[] ms) {
  /** The cumulative shares the values stand at. */
  static final double[] LEVELS = {0, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95, 0.99, 1};

  private static final String[] FIELDS = {
    "min", "p10", "p25", "p50", "p75", "p90", "p95", "p99", "max"
  };

  public Quantiles {
    Objects.requireNonNull(ms, "ms");
    if (ms.length != LEVELS.length) {
      throw new IllegalArgumentException("need " + LEVELS.length + " percentiles");
    }
    for (int i = 0; i < ms.length; i++) {
      if (!(ms[i] >= 0) || (i > 0 && ms[i] < ms[i - 1])) {
        throw new IllegalArgumentException("percentiles must be ascending and non-negative");
      }
    }
    ms = ms.clone();
  }

  /** Every percentile the same: a constant. */
  public static Quantiles constant(double ms) {
    double[] v = new double[LEVELS.length];
    java.util.Arrays.fill(v, ms);
    return new Quantiles(v);
  }

  /**
   * Reads a {@code LatencySummary} object.
   *
   * @throws IllegalArgumentException naming the missing or bad field
   */
  public static Quantiles fromJson(JsonNode summary, String where) {
    double[] v = new double[FIELDS.length];
    for (int i = 0; i < FIELDS.length; i++) {
      JsonNode f = summary.path(FIELDS[i]);
      if (!f.isNumber()) {
        throw new IllegalArgumentException(where + " has no number '" + FIELDS[i] + "'");
      }
      v[i] = f.asDouble();
    }
    try {
      return new Quantiles(v);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
    }
  }

  /**
   * The percentiles of a bench row's latencies.
   *
   * @throws IllegalArgumentException naming the percentile {@code summary} does not give (NaN)
   */
  public static Quantiles of(LatencySummary summary, String where) {
    double[] v = {
      summary.min(),
      summary.p10(),
      summary.p25(),
      summary.p50(),
      summary.p75(),
      summary.p90(),
      summary.p95(),
      summary.p99(),
      summary.max()
    };
    for (int i = 0; i < v.length; i++) {
      if (Double.isNaN(v[i])) {
        throw new IllegalArgumentException(where + " has no number '" + FIELDS[i] + "'");
      }
    }
    try {
      return new Quantiles(v);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
    }
  }

  /** The value at cumulative share {@code u} in [0, 1]. */
  public double at(double u) {
    for (int i = 1; i < LEVELS.length; i++) {
      if (u <= LEVELS[i]) {
        double w = (u - LEVELS[i - 1]) / (LEVELS[i] - LEVELS[i - 1]);
        return ms[i - 1] + w * (ms[i] - ms[i - 1]);
      }
    }
    return ms[ms.length - 1];
  }

  public double p50() {
    return ms[3];
  }
}
