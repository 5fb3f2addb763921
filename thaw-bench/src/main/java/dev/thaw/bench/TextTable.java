package dev.thaw.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A plain-text table for terminals: a header line and one line per row, columns one space apart,
 * each as wide as its widest cell (its header included) and at least its minimum width. A column
 * aligns left (names) or right (numbers); every line ends with a line break, and no line ends with
 * spaces (a last column that aligns left is not padded).
 *
 * <p>The table only lays text out: the cells arrive formatted, so that each command keeps its own
 * units and precision.
 */
public final class TextTable {
  /** Which side of its column a cell keeps to. */
  public enum Align {
    LEFT,
    RIGHT
  }

  /**
   * A column.
   *
   * @param title its header
   * @param align the side its cells keep to
   * @param minWidth the width below which it never shrinks, so that tables printed one after
   *     another line up
   */
  public record Column(String title, Align align, int minWidth) {
    public Column {
      Objects.requireNonNull(title, "title");
      Objects.requireNonNull(align, "align");
      if (minWidth < 0) {
        throw new IllegalArgumentException("minWidth must not be negative: " + minWidth);
      }
    }

    /** A left-aligned column at least {@code minWidth} wide. */
    public static Column left(String title, int minWidth) {
      return new Column(title, Align.LEFT, minWidth);
    }

    /** A right-aligned column at least {@code minWidth} wide. */
    public static Column right(String title, int minWidth) {
      return new Column(title, Align.RIGHT, minWidth);
    }
  }

  private final List<Column> columns;
  private final List<List<String>> rows = new ArrayList<>();

  private TextTable(List<Column> columns) {
    if (columns.isEmpty()) {
      throw new IllegalArgumentException("a table needs at least one column");
    }
    this.columns = List.copyOf(columns);
  }

  /** A table with these columns, in this order, and no rows yet. */
  public static TextTable of(Column... columns) {
    return new TextTable(Arrays.asList(columns));
  }

  /** Adds a row: one cell per column, each as {@link String#valueOf(Object)} writes it. */
  public TextTable row(Object... cells) {
    if (cells.length != columns.size()) {
      throw new IllegalArgumentException(
          "a row of this table has " + columns.size() + " cells, not " + cells.length);
    }
    rows.add(Arrays.stream(cells).map(String::valueOf).toList());
    return this;
  }

  /** The header and every row, each line ending with a line break. */
  public String render() {
    int[] widths = new int[columns.size()];
    for (int c = 0; c < widths.length; c++) {
      widths[c] = Math.max(columns.get(c).minWidth(), columns.get(c).title().length());
      for (List<String> row : rows) {
        widths[c] = Math.max(widths[c], row.get(c).length());
      }
    }
    StringBuilder out = new StringBuilder();
    line(out, widths, columns.stream().map(Column::title).toList());
    rows.forEach(row -> line(out, widths, row));
    return out.toString();
  }

  private void line(StringBuilder out, int[] widths, List<String> cells) {
    for (int c = 0; c < widths.length; c++) {
      if (c > 0) {
        out.append(' ');
      }
      String cell = cells.get(c);
      boolean left = columns.get(c).align() == Align.LEFT;
      String pad = left && c == widths.length - 1 ? "" : " ".repeat(widths[c] - cell.length());
      out.append(left ? cell + pad : pad + cell);
    }
    out.append(System.lineSeparator());
  }

  @Override
  public String toString() {
    return render();
  }
}
