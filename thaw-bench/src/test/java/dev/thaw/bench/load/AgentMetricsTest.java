package dev.thaw.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AgentMetricsTest {
  private static final String TEXT =
      """
      # HELP thaw_snapshot_fetch_seconds
      # TYPE thaw_snapshot_fetch_seconds summary
      thaw_snapshot_fetch_seconds_count 2
      thaw_snapshot_fetch_seconds_sum 0.412
      thaw_snapshot_fetch_seconds_count_other 7
      # TYPE thaw_snapshot_cold_starts_total counter
      thaw_snapshot_cold_starts_total{source="local"} 5.0
      thaw_snapshot_cold_starts_total{node="a",source="remote"} 3.0
      thaw_snapshot_cold_starts_total{source="remote"} 1.0
      """;

  @Test
  void sumsAMetricsSamplesOverItsLabelsOrOverOneLabelsValue() {
    assertThat(AgentMetrics.sum(TEXT, AgentMetrics.FETCHES)).isEqualTo(2);
    assertThat(AgentMetrics.sum(TEXT, AgentMetrics.COLD_STARTS)).isEqualTo(9);
    assertThat(AgentMetrics.sum(TEXT, AgentMetrics.COLD_STARTS, "source=\"remote\"")).isEqualTo(4);
    assertThat(AgentMetrics.sum(TEXT, AgentMetrics.COLD_STARTS, "source=\"none\"")).isZero();
    assertThat(AgentMetrics.sum("", AgentMetrics.FETCHES)).isZero();
  }
}
