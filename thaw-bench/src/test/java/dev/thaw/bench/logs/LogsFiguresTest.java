package dev.thaw.bench.logs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class LogsFiguresTest {
  private static final LogsFigures FIGURES =
      new LogsFigures(
          List.of(1.0, 2.0, 3.0),
          List.of(4.0, 6.0, 8.0, 10.0),
          List.of(3.0, 4.0, 5.0),
          100,
          50,
          3L << 20,
          "8MiB",
          new FloodLines(20_000, 7, 1000, 21_006, 4_000_000_000L));

  @Test
  void alonePutsTheInvocationsBeforeTheFloodFirstThenThoseAfter() {
    assertThat(FIGURES.alone()).containsExactly(1.0, 2.0, 3.0, 3.0, 4.0, 5.0);
  }

  @Test
  void tablesTheQuietFunctionAloneAndBesideTheFlood() {
    List<String> lines = FIGURES.table().lines().toList();
    assertThat(lines).hasSize(3);
    assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("alone").contains(" 6 "));
    assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("beside a flood").contains(" 4 "));
  }

  @Test
  void summarisesTheRatioOfMediansTheFloodAndWhatTheNodeKept() {
    String nl = System.lineSeparator();
    assertThat(FIGURES.summary())
        .isEqualTo(
            "p50 beside the flood ÷ alone: 2.000 (6.00 vs 3.00 ms; alone before 2.00, after"
                + " 4.00)"
                + nl
                + "flood: 100 MB written in 50 s (2.00 MB/s; the guest holds what is not read"
                + " yet); the node keeps 3.00 MiB of its logs (cap 8MiB): 20000 flood lines, 7"
                + " missing between the first and the last (numbers 1000 to 21006, read over 4.0"
                + " s: 0.50 MB/s, the read rate)"
                + nl);
  }

  @Test
  void refusesARunWithoutInvocationsInAPhase() {
    assertThatThrownBy(
            () ->
                new LogsFigures(
                    List.of(1.0), List.of(), List.of(1.0), 1, 1, 0, "8MiB", FloodLines.NONE))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
