package dev.thaw.core.config;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Byte counts as people write them: {@code 10GiB}, {@code 512MiB}, {@code 1.5G}, {@code 4096}. */
public final class ByteSize {
  private static final Pattern FORM = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([kmgt]?)(i?b?)");

  private ByteSize() {}

  /** Parses a size; binary units (KiB, MiB, GiB, TiB; K, M, G, T mean the same). */
  public static long parse(String text) {
    Matcher m = FORM.matcher(text.trim().toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "not a size: '" + text + "' (write e.g. 10GiB, 512MiB or a number of bytes)");
    }
    int shift =
        switch (m.group(2)) {
          case "k" -> 10;
          case "m" -> 20;
          case "g" -> 30;
          case "t" -> 40;
          default -> 0;
        };
    double value = Double.parseDouble(m.group(1)) * (1L << shift);
    if (value >= Long.MAX_VALUE) {
      throw new IllegalArgumentException("size too large: " + text);
    }
    return (long) value;
  }

  /** Formats with the largest binary unit that keeps the number at or above 1. */
  public static String format(long bytes) {
    String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = bytes;
    int u = 0;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return u == 0 ? bytes + " B" : String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }
}
