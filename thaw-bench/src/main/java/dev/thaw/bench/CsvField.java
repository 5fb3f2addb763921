package dev.thaw.bench;

/**
 * A field of the CSV files the benches write (RFC 4180): quoted when it holds a comma, a quote or a
 * line break, so that a spreadsheet or {@code csv.reader} reads the value back whole.
 */
public final class CsvField {
  private CsvField() {}

  /** {@code value} as one CSV field. */
  public static String of(String value) {
    if (value.contains(",") || value.contains("\"") || value.contains("\n")) {
      return "\"" + value.replace("\"", "\"\"") + "\"";
    }
    return value;
  }
}
