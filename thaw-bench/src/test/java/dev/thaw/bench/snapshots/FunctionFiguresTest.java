package dev.thaw.bench.snapshots;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.thaw.core.bench.BenchRow;
import dev.thaw.core.stats.LatencySummary;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FunctionFiguresTest {
  private static final LatencySummary MS = LatencySummary.of(List.of(400.0, 500.0));

  @Test
  void aConfigurationsRowCarriesItsFetchShare() {
    BenchRow row = new ConfigurationFigures("remote, no cache", MS, 0.3).row();
    assertThat(row.label()).isEqualTo("remote, no cache");
    assertThat(row.latencyMs()).isEqualTo(MS);
    assertThat(row.figures()).containsExactly(java.util.Map.entry("fetchShare", 0.3));
  }

  @Test
  void aFunctionsFiguresKeepTheirOrderAndDoNotChangeAfterwards() {
    List<ConfigurationFigures> results = new ArrayList<>();
    results.add(new ConfigurationFigures("no snapshot", MS, 0));
    results.add(new ConfigurationFigures("local snapshot", MS, 0));
    FunctionFigures f = new FunctionFigures("hello", results);
    results.clear();
    assertThat(f.results())
        .extracting(ConfigurationFigures::configuration)
        .containsExactly("no snapshot", "local snapshot");
    assertThatThrownBy(() -> new ConfigurationFigures(null, MS, 0))
        .isInstanceOf(NullPointerException.class);
  }
}
