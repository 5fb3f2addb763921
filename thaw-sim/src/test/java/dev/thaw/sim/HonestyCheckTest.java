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
  void aShareOfOneOrTwoRestoresIsTooFewToCompare() {
    // A replayed 19-invocation trace: 1 local restore measured (100% local hits) against none
    // simulated (0%), every count within one start.
    HonestyCheck c = new HonestyCheck(counts(12, 1, 0, 6), counts(12, 0, 0, 7));
    assertThat(c.rows().subList(0, 4)).allMatch(r -> r.verdict() == HonestyCheck.Verdict.WITHIN);
    assertThat(share(c).verdict()).isEqualTo(HonestyCheck.Verdict.TOO_FEW);
    assertThat(share(c).measured()).isEqualTo(100);
    assertThat(c.passes()).isTrue();
    assertThat(c.table())
        .contains("local-hit share %")
        .contains("too few to compare")
        .contains("failed or rejected")
        .contains("(not checked)")
        .doesNotContain("NO");
    // 19 restores on one side are still too few; 20 on both are compared.
    assertThat(share(new HonestyCheck(counts(0, 19, 0, 0), counts(0, 19, 1, 0))).verdict())
        .isEqualTo(HonestyCheck.Verdict.TOO_FEW);
    assertThat(share(new HonestyCheck(counts(0, 20, 0, 0), counts(0, 20, 0, 0))).verdict())
        .isEqualTo(HonestyCheck.Verdict.WITHIN);
  }

  @Test
  void aLargeSampleThatReallyDiffersStillFails() {
    HonestyCheck c = new HonestyCheck(counts(200, 60, 20, 20), counts(200, 30, 50, 20));
    assertThat(share(c).verdict()).isEqualTo(HonestyCheck.Verdict.OUTSIDE);
    assertThat(c.rows())
        .filteredOn(r -> r.figure().endsWith("restores"))
        .allMatch(r -> r.verdict() == HonestyCheck.Verdict.OUTSIDE);
    assertThat(c.passes()).isFalse();
    assertThat(c.table()).contains("NO").doesNotContain("too few");
  }

  @Test
  void aShareOnEnoughRestoresMustAgreeWithinFivePoints() {
    // 24 local of 40 restores (60%) against 25 of 40 (62.5%): within.
    assertThat(share(new HonestyCheck(counts(10, 24, 16, 1), counts(10, 25, 15, 1))).within())
        .isTrue();
    // 20 local of 23 (87%) against 18 of 22 (82%): each count within its bound, the share not.
    HonestyCheck c = new HonestyCheck(counts(10, 20, 3, 1), counts(10, 18, 4, 1));
    assertThat(c.rows().subList(0, 4)).allMatch(HonestyCheck.Row::within);
    assertThat(share(c).verdict()).isEqualTo(HonestyCheck.Verdict.OUTSIDE);
    assertThat(c.passes()).isFalse();
  }

  private static HonestyCheck.Row share(HonestyCheck c) {
    return c.rows().stream()
        .filter(r -> r.figure().startsWith("local-hit"))
        .findFirst()
        .orElseThrow();
  }
}
