package dev.thaw.bench.snapshots;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.thaw.core.bench.BenchRow;
import dev.thaw.core.stats.LatencySummary;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FunctionFiguresTest {
  private static final LatencySummary MS = LatencySummary.of(List.of(400.0, 500.0));

  @Test
  void aConfigurationsRowCarriesItsFetchShare() {
    BenchRow row = new ConfigurationFigures("remote, no cache", MS, 0.3).row();
    assertThat(row.label()).isEqualTo("remote, no cache");
    assertThat(row.latencyMs()).isEqualTo(MS);
    assertThat(row.figures()).containsExactly(Map.entry("fetchShare", 0.3));
  }

  @Test
  void aLazyConfigurationsRowCarriesTheBytesBeforeTheFirstAnswerApart() {
    BenchRow row =
        new ConfigurationFigures("remote, no cache", MS, 0.3, 2, 9_000_000, 40_000).row();
    assertThat(row.figures())
        .containsExactly(
            Map.entry("fetchShare", 0.3),
            Map.entry("lazyRestores", 2),
            Map.entry("memoryBytesBeforeAnswer", 9_000_000L),
            Map.entry("rootImageBytesBeforeAnswer", 40_000L));
    assertThat(row.figure("rootImageBytesBeforeAnswer")).hasValue(40_000);
  }

  @Test
  void theRootImageBytesAreAShareOfTheImageWhenThereIsOne() {
    assertThat(new FunctionFigures("python", 40_000_000, List.of()).shareOfImage(400_000))
        .isEqualTo(0.01);
    assertThat(new FunctionFigures("hello", List.of()).shareOfImage(0)).isNaN();
  }

  @Test
  void negativeCountsAreRefused() {
    assertThatThrownBy(() -> new ConfigurationFigures("x", MS, 0, -1, 0, 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ConfigurationFigures("x", MS, 0, 1, 0, -5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("-5");
    assertThatThrownBy(() -> new FunctionFigures("python", -1, List.of()))
        .isInstanceOf(IllegalArgumentException.class);
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
