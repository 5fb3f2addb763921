package dev.thaw.bench.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LoadFiguresTest {
  private static PathLoad path(String name, int requests, double ms, long errors, long busy) {
    List<Double> latencies = java.util.Collections.nCopies(requests, ms);
    return new PathLoad(
        name,
        new LoadSample(latencies, errors, Duration.ofSeconds(10), ""),
        busy,
        Map.of(LoadCpu.GATEWAY, busy / 8.0, LoadCpu.VMS, 3 * busy / 8.0),
        2);
  }

  @Test
  void theWarmTableShowsEachPathAndTheRatiosAgainstTheirTargets() {
    WarmLoadFigures w =
        new WarmLoadFigures(
            16, 16, path("gateway", 9000, 12.0, 0, 20_000), path("direct", 10000, 8.0, 0, 19_000));
    assertThat(w.throughputRatio()).isEqualTo(0.9);
    assertThat(w.p99Ratio()).isEqualTo(1.5);
    assertThat(w.metTargets()).isTrue();
    assertThat(w.gateway().busyShare()).isEqualTo(1.0);
    assertThat(w.direct().busyShare()).isEqualTo(0.95);
    assertThat(w.direct().cpuMillisPerRequest()).isEqualTo(0.95);
    assertThat(w.table())
        .contains("warm load, 16 clients")
        .containsPattern("gateway +9000 +900 +12.00 +12.00 +0 +100% +1.11")
        .containsPattern("direct +10000 +1000 +8.00 +8.00 +0 +95% +0.95")
        .contains("throughput 0.90 (target ≥ 0.80), p50 1.50, p99 1.50 (target ≤ 2.0)")
        .containsPattern("gateway +0.00 +0.28 +0.00 +0.83 +0.00 +0.00")
        .containsPattern("direct +0.00 +0.24 +0.00 +0.71 +0.00 +0.00");
    assertThat(w.gateway().cpuMillisPerRequest(LoadCpu.GATEWAY))
        .isCloseTo(2500 / 9000.0, within(1e-9));
  }

  @Test
  void aSlowGatewayOrAnyErrorMissesTheTargets() {
    PathLoad direct = path("direct", 10000, 8.0, 0, 19_000);
    assertThat(new WarmLoadFigures(16, 16, path("g", 7000, 8.0, 0, 1), direct).metTargets())
        .isFalse();
    assertThat(new WarmLoadFigures(16, 16, path("g", 9000, 17.0, 0, 1), direct).metTargets())
        .isFalse();
    assertThat(new WarmLoadFigures(16, 16, path("g", 9000, 8.0, 1, 1), direct).metTargets())
        .isFalse();
  }

  @Test
  void theBurstMeetsItsTargetWithEveryAnswerAndOneFetchPerNode() {
    List<Double> twenty = java.util.Collections.nCopies(20, 400.0);
    BurstFigures met =
        new BurstFigures(
            20,
            4,
            twenty,
            "",
            Map.of("node-1", 1L, "node-2", 1L),
            Map.of("node-1", new BurstFigures.Starts(4, 1, 0, 2)));
    assertThat(met.metTargets()).isTrue();
    assertThat(met.table())
        .contains("20 concurrent requests, 2 nodes × 4 slots: 20 of 20 answered; p50 400 ms")
        .containsPattern("node-1 +1 +4 +1 +0 +2")
        .containsPattern("node-2 +1 +0 +0 +0 +0");
    assertThat(
            new BurstFigures(20, 4, twenty, "", Map.of("node-1", 2L, "node-2", 1L), Map.of())
                .metTargets())
        .isFalse();
    BurstFigures short1 =
        new BurstFigures(
            20, 4, twenty.subList(0, 19), "503: queue full", Map.of("node-1", 1L), Map.of());
    assertThat(short1.metTargets()).isFalse();
    assertThat(short1.table()).contains("19 of 20 answered").contains("first failure: 503");
  }
}
