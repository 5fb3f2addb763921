package dev.thaw.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.thaw.bench.TextTable.Column;
import java.util.Locale;
import org.junit.jupiter.api.Test;

class TextTableTest {
  private static final String NL = System.lineSeparator();

  @Test
  void printsWhatTheFormatStringsPrintedWhenEveryCellFits() {
    String table =
        TextTable.of(Column.left("configuration", 20), Column.right("n", 6), Column.right("p50", 8))
            .row("local snapshots", 12, "262")
            .row("remote", 3, "310")
            .render();
    String row = "%-20s %6s %8s%n";
    assertThat(table)
        .isEqualTo(
            String.format(Locale.ROOT, row, "configuration", "n", "p50")
                + String.format(Locale.ROOT, row, "local snapshots", 12, "262")
                + String.format(Locale.ROOT, row, "remote", 3, "310"));
  }

  @Test
  void aColumnWidensToItsWidestCellOnEveryLine() {
    String table =
        TextTable.of(Column.left("name", 2), Column.right("count", 3))
            .row("a-rather-long-name", 1)
            .row("b", 123456)
            .render();
    assertThat(table)
        .isEqualTo(
            "name                count"
                + NL
                + "a-rather-long-name      1"
                + NL
                + "b                  123456"
                + NL);
  }

  @Test
  void aLastColumnThatAlignsLeftIsNotPadded() {
    String table =
        TextTable.of(Column.right("WARM", 4), Column.left("IMAGE", 10))
            .row(1, "-")
            .row(12345, "python:3")
            .render();
    assertThat(table).isEqualTo(" WARM IMAGE" + NL + "    1 -" + NL + "12345 python:3" + NL);
  }

  @Test
  void aTableWithoutRowsIsItsHeader() {
    assertThat(TextTable.of(Column.left("snapshots", 34), Column.right("count", 6)).render())
        .isEqualTo(String.format("%-34s %6s%n", "snapshots", "count"));
  }

  @Test
  void aRowMustFillEveryColumn() {
    TextTable t = TextTable.of(Column.left("a", 1), Column.right("b", 1));
    assertThatThrownBy(() -> t.row("only one")).hasMessageContaining("2 cells, not 1");
    assertThatThrownBy(() -> Column.left("a", -1)).isInstanceOf(IllegalArgumentException.class);
  }
}
