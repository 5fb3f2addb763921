package dev.thaw.core.trace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class MinuteRangeTest {
  @Test
  void parsesFromToWithToExcluded() {
    assertThat(MinuteRange.parse("0-2")).isEqualTo(new MinuteRange(0, 2));
    assertThat(MinuteRange.parse(" 100 - 1440 ").length()).isEqualTo(1340);
  }

  @Test
  void everyMalformedOrOutOfRangeFormIsRefusedInOneLine() {
    assertThatThrownBy(() -> MinuteRange.parse("5"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("minutes must be given as FROM-TO, e.g. 0-2 (TO excluded), not '5'");
    assertThatThrownBy(() -> MinuteRange.parse("0-99999"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("outside the trace's day");
    assertThatThrownBy(() -> MinuteRange.parse("6-2"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("FROM must be below TO");
    assertThatThrownBy(() -> MinuteRange.parse("3-3"))
        .hasMessageContaining("FROM must be below TO");
    for (String bad : new String[] {"", "-", "a-b", "-1-2", "1-2-3", "99999999999-1", "1.5-2"}) {
      assertThatThrownBy(() -> MinuteRange.parse(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageNotContaining("\n");
    }
  }

  @Test
  void anUnknownSpreadNamesTheOnesThereAre() {
    assertThat(ReplayPlan.Spread.parse("Uniform")).isEqualTo(ReplayPlan.Spread.UNIFORM);
    assertThatThrownBy(() -> ReplayPlan.Spread.parse("bogus"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("spread must be exponential, uniform or equidistant, not 'bogus'");
  }
}
