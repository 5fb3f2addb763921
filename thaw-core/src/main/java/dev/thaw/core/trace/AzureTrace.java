package dev.thaw.core.trace;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a day of the Azure Functions 2019 trace from a directory:
 *
 * <ul>
 *   <li>{@code invocations_per_function_md.anon.dNN.csv}: HashOwner, HashApp, HashFunction,
 *       Trigger, then the invocation count of minutes 1..1440;
 *   <li>{@code function_durations_percentiles.anon.dNN.csv}: HashOwner, HashApp, HashFunction,
 *       Average, Count, Minimum, Maximum, percentile_Average_{0,1,25,50,75,99,100} (ms);
 *   <li>{@code app_memory_percentiles.anon.dNN.csv} (optional): HashOwner, HashApp, SampleCount,
 *       AverageAllocatedMb, AverageAllocatedMb_pct{1,5,25,50,75,95,99,100}.
 * </ul>
 *
 * Every malformed line is refused with the file, line and column.
 */
public final class AzureTrace {
  private static final Pattern INVOCATIONS =
      Pattern.compile("invocations_per_function_md\\.anon\\.(d\\d+)\\.csv");

  private AzureTrace() {}

  /** Reads the trace's first day found in {@code dir} (e.g. d01). */
  public static List<TraceFunction> read(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      throw new NoSuchFileException(dir.toString(), null, "no such trace directory");
    }
    if (!Files.isDirectory(dir)) {
      throw new NotDirectoryException(dir + " is not a directory (give the trace's directory)");
    }
    String day;
    try (var files = Files.list(dir)) {
      day =
          files
              .map(p -> INVOCATIONS.matcher(p.getFileName().toString()))
              .filter(Matcher::matches)
              .map(m -> m.group(1))
              .sorted()
              .findFirst()
              .orElseThrow(
                  () -> new IOException("no invocations_per_function_md.anon.dNN.csv in " + dir));
    }
    Map<String, int[]> invocations = new LinkedHashMap<>();
    Map<String, String[]> identity = new HashMap<>();
    Path inv = dir.resolve("invocations_per_function_md.anon." + day + ".csv");
    readLines(
        inv,
        4 + TraceFunction.MINUTES,
        (text, line) -> {
          // A day has 1440 counts per function: parse them without a String per field, and
          // leave anything irregular to the checked path below for its precise message.
          String[] head = new String[4];
          int[] counts = fastCounts(text, head);
          if (counts == null) {
            String[] fields = fields(inv, text, line, 4 + TraceFunction.MINUTES);
            counts = new int[TraceFunction.MINUTES];
            for (int m = 0; m < counts.length; m++) {
              double count = number(inv, line, 5 + m, fields[4 + m], true);
              if (count > Integer.MAX_VALUE) {
                throw new TraceFormatException(
                    inv.getFileName().toString(),
                    line,
                    5 + m,
                    "'" + fields[4 + m] + "' invocations in a minute is beyond any trace");
              }
              counts[m] = (int) count;
            }
            System.arraycopy(fields, 0, head, 0, 4);
          }
          String key = head[0] + "/" + head[1] + "/" + head[2];
          invocations.put(key, counts);
          identity.put(key, head);
        });
    Map<String, double[]> durations = new HashMap<>();
    Path dur = dir.resolve("function_durations_percentiles.anon." + day + ".csv");
    if (!Files.exists(dur)) {
      throw new NoSuchFileException(
          dur.toString(), null, "the trace's durations are missing: no " + dur.getFileName());
    }
    readCsv(
        dur,
        14,
        (fields, line) -> {
          double[] p = new double[7];
          for (int i = 0; i < p.length; i++) {
            p[i] = number(dur, line, 8 + i, fields[7 + i], false);
          }
          durations.put(fields[0] + "/" + fields[1] + "/" + fields[2], p);
        });
    Map<String, double[]> memory = new HashMap<>();
    Path mem = dir.resolve("app_memory_percentiles.anon." + day + ".csv");
    if (Files.exists(mem)) {
      readCsv(
          mem,
          12,
          (fields, line) -> {
            double[] p = new double[8];
            for (int i = 0; i < p.length; i++) {
              p[i] = number(mem, line, 5 + i, fields[4 + i], false);
            }
            memory.put(fields[0] + "/" + fields[1], p);
          });
    }
    List<TraceFunction> out = new ArrayList<>();
    invocations.forEach(
        (key, counts) -> {
          String[] f = identity.get(key);
          double[] d = durations.get(key);
          if (d == null) {
            return; // The published trace has functions without durations: nothing to replay.
          }
          out.add(
              new TraceFunction(
                  f[0],
                  f[1],
                  f[2],
                  f[3],
                  counts,
                  d,
                  memory.getOrDefault(f[0] + "/" + f[1], new double[0])));
        });
    return out;
  }

  private interface Row {
    void accept(String[] fields, int line);
  }

  private interface Line {
    void accept(String text, int line);
  }

  /**
   * The four leading fields into {@code head} and the 1440 counts of an invocations line; null when
   * the line is anything but plain digits in exactly that many fields (the caller then splits it
   * and says what is wrong).
   */
  static int[] fastCounts(String text, String[] head) {
    int pos = 0;
    for (int f = 0; f < 4; f++) {
      int comma = text.indexOf(',', pos);
      if (comma < 0) {
        return null;
      }
      head[f] = text.substring(pos, comma);
      pos = comma + 1;
    }
    int[] counts = new int[TraceFunction.MINUTES];
    int n = text.length();
    for (int m = 0; m < counts.length; m++) {
      long v = 0;
      int start = pos;
      while (pos < n) {
        char ch = text.charAt(pos);
        if (ch == ',') {
          break;
        }
        if (ch < '0' || ch > '9' || v > Integer.MAX_VALUE) {
          return null;
        }
        v = v * 10 + (ch - '0');
        pos++;
      }
      if (pos == start || v > Integer.MAX_VALUE) {
        return null;
      }
      counts[m] = (int) v;
      if (m < counts.length - 1) {
        if (pos >= n) {
          return null;
        }
        pos++;
      }
    }
    return pos == n ? counts : null;
  }

  private static String[] fields(Path file, String text, int line, int columns) {
    String[] fields = text.split(",", -1);
    if (fields.length != columns) {
      throw new TraceFormatException(
          file.getFileName().toString(),
          line,
          0,
          "has " + fields.length + " columns, the format has " + columns);
    }
    return fields;
  }

  private static void readCsv(Path file, int columns, Row row) throws IOException {
    readLines(file, columns, (text, line) -> row.accept(fields(file, text, line, columns), line));
  }

  private static void readLines(Path file, int columns, Line row) throws IOException {
    String name = file.getFileName().toString();
    int line = 0;
    try (BufferedReader in = Files.newBufferedReader(file)) {
      String header = in.readLine();
      line = 1;
      if (header == null) {
        throw new TraceFormatException(name, 1, 0, "empty file");
      }
      int headerColumns = header.split(",", -1).length;
      if (headerColumns != columns) {
        throw new TraceFormatException(
            name, 1, 0, "header has " + headerColumns + " columns, the format has " + columns);
      }
      for (String text; (text = in.readLine()) != null; ) {
        line++;
        if (text.isBlank()) {
          continue;
        }
        row.accept(text, line);
      }
    } catch (CharacterCodingException e) {
      // Decoding runs ahead of the lines read: the bad bytes are on this line or a later one.
      throw new TraceFormatException(
          name, line + 1, 0, "not UTF-8 text from here on (a CSV file was expected)");
    }
  }

  private static double number(Path file, int line, int column, String text, boolean integer) {
    try {
      double v = integer ? Long.parseLong(text.trim()) : Double.parseDouble(text.trim());
      if (v < 0 || Double.isNaN(v) || Double.isInfinite(v)) {
        throw new NumberFormatException();
      }
      return v;
    } catch (NumberFormatException e) {
      throw new TraceFormatException(
          file.getFileName().toString(),
          line,
          column,
          "'" + text + "' is not a non-negative " + (integer ? "integer" : "finite number"));
    }
  }
}
