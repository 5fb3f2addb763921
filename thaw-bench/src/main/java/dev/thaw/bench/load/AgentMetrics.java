package dev.thaw.bench.load;

import java.util.Arrays;

/**
 * Figures read from an agent's {@code GET /metrics} (Prometheus' text format): the sum of a
 * metric's samples, over its labels or over those of one label's value.
 */
final class AgentMetrics {
  /** Remote fetches of snapshots: the count of the {@code thaw.snapshot.fetch} timer. */
  static final String FETCHES = "thaw_snapshot_fetch_seconds_count";

  /** Cold starts, labelled by where the snapshot came from. */
  static final String COLD_STARTS = "thaw_snapshot_cold_starts_total";

  /** Snapshots found dead, by phase. */
  static final String DEAD = "thaw_snapshot_dead_total";

  /** Restores the machine was too slow for, by phase. */
  static final String TOO_SLOW = "thaw_snapshot_restores_too_slow_total";

  private AgentMetrics() {}

  /** The sum of {@code metric}'s samples in {@code text}, whatever their labels; 0 if none. */
  static long sum(String text, String metric) {
    return sum(text, metric, "");
  }

  /**
   * The sum of {@code metric}'s samples in {@code text} that carry {@code label} (e.g. {@code
   * source="remote"}; empty: every sample); 0 if none.
   */
  static long sum(String text, String metric, String label) {
    double sum = 0;
    for (String line : text.lines().toList()) {
      if (line.startsWith("#") || !line.startsWith(metric)) {
        continue;
      }
      String rest = line.substring(metric.length());
      String labels = "";
      if (rest.startsWith("{")) {
        int close = rest.indexOf('}');
        if (close < 0) {
          continue;
        }
        labels = rest.substring(1, close);
        rest = rest.substring(close + 1);
      } else if (!rest.startsWith(" ")) {
        continue; // another metric whose name begins with this one's
      }
      if (!label.isEmpty() && !Arrays.asList(labels.split(",")).contains(label)) {
        continue;
      }
      String[] value = rest.strip().split("\\s+");
      sum += Double.parseDouble(value[0]);
    }
    return Math.round(sum);
  }
}
