package dev.thaw.core.trace;

/** A trace file that does not follow the Azure Functions 2019 format, with where it breaks. */
public class TraceFormatException extends RuntimeException {
  private final String file;
  private final int line;
  private final int column;

  public TraceFormatException(String file, int line, int column, String problem) {
    super(file + ":" + line + (column > 0 ? ":" + column : "") + ": " + problem);
    this.file = file;
    this.line = line;
    this.column = column;
  }

  public String file() {
    return file;
  }

  /** 1-based line number. */
  public int line() {
    return line;
  }

  /** 1-based column (CSV field) number, or 0 when the whole line is wrong. */
  public int column() {
    return column;
  }
}
