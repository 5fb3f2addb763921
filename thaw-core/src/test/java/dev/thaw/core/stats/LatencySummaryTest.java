package dev.thaw.core.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class LatencySummaryTest {
  @Test
  void nearestRankPercentilesOfOneToHundred() {
    List<Double> values = IntStream.rangeClosed(1, 100).mapToObj(i -> (double) i).toList();
    LatencySummary s = LatencySummary.of(values);
    assertThat(s.count()).isEqualTo(100);
    assertThat(s.p10()).isEqualTo(10);
    assertThat(s.p25()).isEqualTo(25);
    assertThat(s.p50()).isEqualTo(50);
    assertThat(s.p75()).isEqualTo(75);
    assertThat(s.p90()).isEqualTo(90);
    assertThat(s.p99()).isEqualTo(99);
    assertThat(s.min()).isEqualTo(1);
    assertThat(s.max()).isEqualTo(100);
    assertThat(s.mean()).isEqualTo(50.5);
  }

  @Test
  void unsortedSmallSample() {
    LatencySummary s = LatencySummary.of(List.of(30.0, 10.0, 20.0));
    assertThat(s.p50()).isEqualTo(20);
    assertThat(s.p90()).isEqualTo(30);
    assertThat(s.stddev()).isCloseTo(8.165, org.assertj.core.data.Offset.offset(0.001));
  }

  @Test
  void twelveLongTailedValuesTakeObservedValuesAtTheirRanks() {
    // 6 restores, 4 boots, 2 restores that hit the old two-minute timeout.
    LatencySummary s =
        LatencySummary.of(
            List.of(
                150.0, 180.0, 200.0, 220.0, 240.0, 262.0, 7000.0, 7200.0, 7600.0, 8000.0, 128283.0,
                129115.0));
    assertThat(s.p10()).isEqualTo(180); // rank ceil(1.2) = 2
    assertThat(s.p25()).isEqualTo(200); // rank 3
    assertThat(s.p50()).isEqualTo(262); // rank 6
    assertThat(s.p75()).isEqualTo(7600); // rank 9
    assertThat(s.p90()).isEqualTo(128283); // rank ceil(10.8) = 11
    assertThat(s.p99()).isEqualTo(129115);
  }

  @Test
  void emptySampleIsRefused() {
    assertThatThrownBy(() -> LatencySummary.of(List.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
