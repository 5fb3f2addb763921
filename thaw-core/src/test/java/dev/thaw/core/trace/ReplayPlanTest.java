package dev.thaw.core.trace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ReplayPlanTest {
  private static TraceFunction fn(int... firstMinutes) {
    int[] perMinute = new int[TraceFunction.MINUTES];
    System.arraycopy(firstMinutes, 0, perMinute, 0, firstMinutes.length);
    return new TraceFunction(
        "o",
        "a",
        "f" + Arrays.toString(firstMinutes),
        "http",
        perMinute,
        new double[] {10, 20, 50, 100, 200, 900, 1000},
        new double[0]);
  }

  @ParameterizedTest
  @EnumSource(ReplayPlan.Spread.class)
  void everyMinuteKeepsItsExactCountInsideItsScaledMinute(ReplayPlan.Spread spread) {
    List<TraceFunction> fs = List.of(fn(3, 0, 5), fn(1, 7, 2));
    ReplayPlan plan = ReplayPlan.of(fs, 0, 3, 2_000, spread, 42);
    for (int f = 0; f < fs.size(); f++) {
      for (int m = 0; m < 3; m++) {
        int fi = f;
        int mi = m;
        var inMinute =
            plan.invocations().stream()
                .filter(i -> i.function() == fi && i.minute() == mi)
                .toList();
        assertThat(inMinute).hasSize(fs.get(f).perMinute()[m]);
        assertThat(inMinute)
            .allSatisfy(i -> assertThat(i.atMillis()).isBetween(mi * 2_000L, mi * 2_000L + 1_999));
      }
    }
    assertThat(plan.invocations())
        .isSortedAccordingTo(java.util.Comparator.comparingLong(ReplayPlan.Invocation::atMillis));
  }

  @Test
  void durationsStayWithinThePercentiles() {
    Random random = new Random(1);
    double[] p = {10, 20, 50, 100, 200, 900, 1000};
    for (int i = 0; i < 10_000; i++) {
      assertThat(ReplayPlan.duration(p, random)).isBetween(10L, 1000L);
    }
  }

  @Test
  void aMinuteRangeReplaysOnlyThoseMinutes() {
    ReplayPlan plan =
        ReplayPlan.of(List.of(fn(3, 4, 5)), 1, 2, 1_000, ReplayPlan.Spread.UNIFORM, 1);
    assertThat(plan.invocations()).hasSize(4);
    assertThat(plan.minutes()).isEqualTo(1);
  }

  @Test
  void peakConcurrencyCountsOverlaps() {
    ReplayPlan plan = ReplayPlan.of(List.of(fn(10)), 0, 1, 1_000, ReplayPlan.Spread.EQUIDISTANT, 1);
    assertThat(plan.peakConcurrency(0)).isLessThanOrEqualTo(plan.peakConcurrency(10_000));
    assertThat(plan.peakConcurrency(60_000)).isEqualTo(10);
  }

  @Test
  void badRangesAreRefused() {
    assertThatThrownBy(() -> ReplayPlan.of(List.of(), 5, 5, 1_000, ReplayPlan.Spread.UNIFORM, 1))
        .hasMessageContaining("minute range");
  }
}
