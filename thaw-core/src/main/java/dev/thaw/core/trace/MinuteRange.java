package dev.thaw.core.trace;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Minutes {@code [from, to)} of a trace day, as {@code --minutes FROM-TO} gives them.
 *
 * @param from first minute replayed (0-based)
 * @param to first minute not replayed, at most {@link TraceFunction#MINUTES}
 */
public record MinuteRange(int from, int to) {
  private static final Pattern FORM = Pattern.compile("\\s*(\\d{1,9})\\s*-\\s*(\\d{1,9})\\s*");

  public MinuteRange {
    if (from < 0 || to > TraceFunction.MINUTES) {
      throw new IllegalArgumentException(
          "minutes "
              + from
              + "-"
              + to
              + " lie outside the trace's day: minutes run from 0 to "
              + TraceFunction.MINUTES
              + " (TO excluded)");
    }
    if (from >= to) {
      throw new IllegalArgumentException(
          "minutes " + from + "-" + to + " are empty: FROM must be below TO (TO excluded)");
    }
  }

  /**
   * Parses {@code FROM-TO}, e.g. {@code 0-2}.
   *
   * @throws IllegalArgumentException saying what is wrong, in one line
   */
  public static MinuteRange parse(String text) {
    Matcher m = FORM.matcher(text == null ? "" : text);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "minutes must be given as FROM-TO, e.g. 0-2 (TO excluded), not '" + text + "'");
    }
    return new MinuteRange(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
  }

  /** How many minutes. */
  public int length() {
    return to - from;
  }

  @Override
  public String toString() {
    return from + "-" + to;
  }
}
