package dev.thaw.core.logs;

import java.util.Locale;

/** Which of a function's outputs a line was written to. */
public enum LogStream {
  STDOUT,
  STDERR;

  /** The short name in logs and JSON: {@code stdout}, {@code stderr}. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
