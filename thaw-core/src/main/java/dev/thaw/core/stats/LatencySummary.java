package dev.thaw.core.stats;

import java.util.Arrays;
import java.util.Collection;

/**
 * Summary of a sample of latencies in milliseconds. Percentiles use the nearest-rank method — the
 * p-th percentile of n sorted values is the value at rank ⌈p/100 · n⌉ — so every reported value is
 * one that was observed. It is the project's one definition: tables, JSON and plots all take their
 * percentiles from here.
 */
public record LatencySummary(
    int count,
    double mean,
    double stddev,
    double min,
    double p10,
    double p25,
    double p50,
    double p75,
    double p90,
    double p95,
    double p99,
    double max) {

  public static LatencySummary of(Collection<Double> millis) {
    if (millis.isEmpty()) {
      throw new IllegalArgumentException("cannot summarise an empty sample");
    }
    double[] v = millis.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    double mean = Arrays.stream(v).average().orElseThrow();
    double var = Arrays.stream(v).map(x -> (x - mean) * (x - mean)).sum() / v.length;
    return new LatencySummary(
        v.length,
        mean,
        Math.sqrt(var),
        v[0],
        rank(v, 10),
        rank(v, 25),
        rank(v, 50),
        rank(v, 75),
        rank(v, 90),
        rank(v, 95),
        rank(v, 99),
        v[v.length - 1]);
  }

  /** Nearest-rank percentile of sorted values. */
  public static double rank(double[] sorted, double percentile) {
    int index = (int) Math.ceil(percentile / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
  }
}
