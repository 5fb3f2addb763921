package dev.thaw.sim;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HonestyCheckTest {
  private static TraceRun.StartCounts counts(long warm, long local, long remote, long boots) {
    return new TraceRun.StartCounts(warm + local + remote + boots, warm, local, remote, boots, 0);
  }

  @Test
  void passesWithinTenPercentAndFivePoints() {
    HonestyCheck c = new HonestyCheck(counts(100, 40, 10, 20), counts(109, 37, 11, 18));
    assertThat(c.rows()).allMatch(HonestyCheck.Row::within);
    assertThat(c.passes()).isTrue();
  }

  @Test
  void aCountOffByMoreThanTenPercentFails() {
    HonestyCheck c = new HonestyCheck(counts(100, 40, 10, 20), counts(100, 40, 10, 23));
    assertThat(c.rows())
        .filteredOn(r -> r.figure().equals("boots"))
        .singleElement()
        .extracting(HonestyCheck.Row::within)
        .isEqualTo(false);
    assertThat(c.passes()).isFalse();
    assertThat(c.table()).contains("boots").contains("NO");
  }

  @Test
  void smallCountsMayDifferByOneStart() {
    assertThat(new HonestyCheck(counts(50, 3, 0, 2), counts(50, 3, 1, 2)).rows())
        .filteredOn(r -> r.figure().equals("remote restores"))
        .singleElement()
        .extracting(HonestyCheck.Row::within)
        .isEqualTo(true);
    assertThat(new HonestyCheck(counts(50, 3, 0, 2), counts(50, 3, 2, 2)).passes()).isFalse();
  }

  @Test
  void theLocalHitShareMustAgreeWithinFivePoints() {
    // 3 local and 3 remote against 4 and 2: each count within its one-start slack, but 50% of
    // local hits against 67%.
    HonestyCheck c = new HonestyCheck(counts(10, 3, 3, 1), counts(10, 4, 2, 1));
    assertThat(c.rows().subList(0, 4)).allMatch(HonestyCheck.Row::within);
    assertThat(c.table()).contains("failed or rejected").contains("(not checked)");
    assertThat(c.rows())
        .filteredOn(r -> r.figure().startsWith("local-hit"))
        .singleElement()
        .extracting(HonestyCheck.Row::within)
        .isEqualTo(false);
  }
}
