package dev.thaw.bench.vm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.core.stats.LatencySummary;
import dev.thaw.core.vmm.RestorePhases;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RestoreBreakdownTest {
  private static RestorePhases phases(boolean pooled, long start, long answer) {
    return new RestorePhases(
        pooled, Duration.ofMillis(start), Duration.ofMillis(5), Duration.ofMillis(1), ms(answer));
  }

  private static Duration ms(long millis) {
    return Duration.ofMillis(millis);
  }

  @Test
  void restoresArePairedWithTheirFirstAnswerAndKeptApartByMethod() {
    RestoreBreakdown b = new RestoreBreakdown();
    b.vmm(phases(false, 30, 60));
    b.invoked(ms(10));
    b.vmm(phases(true, 12, 64));
    b.invoked(ms(12));
    b.vmm(phases(false, 34, 70));
    b.invoked(ms(14));
    b.invoked(ms(99)); // no phases told for this one: left out

    assertThat(b.plain()).hasSize(2);
    assertThat(b.pooled()).hasSize(1);
    Map<String, LatencySummary> plain = RestoreBreakdown.summary(b.plain());
    assertThat(plain.keySet()).containsExactlyElementsOf(RestoreBreakdown.PHASES.keySet());
    // Nearest rank: the median of two values is the lower one.
    assertThat(plain.get("QEMU ready (exec to QMP, or pool bind)").p50()).isEqualTo(30.0);
    assertThat(plain.get("QEMU ready (exec to QMP, or pool bind)").max()).isEqualTo(34.0);
    assertThat(plain.get("function's first answer").max()).isEqualTo(14.0);
    // totals 30+5+1+60+10 = 106 and 34+5+1+70+14 = 124
    assertThat(plain.get("total").p50()).isEqualTo(106.0);
    assertThat(plain.get("total").max()).isEqualTo(124.0);
    assertThat(RestoreBreakdown.summary(b.pooled()).get("total").p50()).isEqualTo(94.0);
  }

  @Test
  void noRestoresNoRows() {
    assertThat(RestoreBreakdown.summary(new RestoreBreakdown().pooled())).isEmpty();
  }
}
