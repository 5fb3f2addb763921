package dev.thaw.bench.logs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The files in which the nodes of a cluster keep one function's logs: every regular file in a
 * directory named after the function inside a {@code logs} directory anywhere under the cluster's
 * root (the node log store's {@code current.jsonl} and {@code previous.jsonl} of each node). The
 * bench reads what the nodes kept from here, without asking an agent, after its run.
 */
public final class FunctionLogFiles {
  private static final Pattern FLOOD_NUMBER = Pattern.compile("\"m\":\"flood (\\d{10}) ");
  private static final Pattern TIME = Pattern.compile("\"t\":(\\d+)");

  private final List<Path> files;

  private FunctionLogFiles(List<Path> files) {
    this.files = files;
  }

  /** The log files of {@code function} under {@code root}, as they are now. */
  public static FunctionLogFiles of(Path root, String function) throws IOException {
    try (Stream<Path> all = Files.walk(root)) {
      return new FunctionLogFiles(
          all.filter(p -> p.toString().contains("/logs/"))
              .filter(p -> p.getParent().getFileName().toString().equals(function))
              .filter(Files::isRegularFile)
              .toList());
    }
  }

  /** The files themselves. */
  public List<Path> files() {
    return files;
  }

  /** Bytes the files hold. */
  public long bytes() {
    return files.stream().mapToLong(p -> p.toFile().length()).sum();
  }

  /** The first {@code perFile} lines of each file that the function wrote to stderr. */
  public List<String> stderr(int perFile) throws IOException {
    return lines().stream()
        .flatMap(l -> l.stream().filter(s -> s.contains("\"s\":\"stderr\"")).limit(perFile))
        .toList();
  }

  /**
   * The flood lines kept ({@code flood NUMBER …} with a ten-digit number), how many numbers between
   * the first and the last kept are missing (lines lost on the way), and the time between the first
   * and the last read.
   */
  public FloodLines floodLines() throws IOException {
    BitSet seen = new BitSet();
    long count = 0;
    long firstT = Long.MAX_VALUE;
    long lastT = 0;
    for (List<String> file : lines()) {
      for (String line : file) {
        Matcher n = FLOOD_NUMBER.matcher(line);
        Matcher t = TIME.matcher(line);
        if (n.find() && t.find()) {
          seen.set(Integer.parseInt(n.group(1)));
          count++;
          firstT = Math.min(firstT, Long.parseLong(t.group(1)));
          lastT = Math.max(lastT, Long.parseLong(t.group(1)));
        }
      }
    }
    if (seen.isEmpty()) {
      return FloodLines.NONE;
    }
    int first = seen.nextSetBit(0);
    int last = seen.length() - 1;
    return new FloodLines(
        count, (last - first + 1) - seen.cardinality(), first, last, lastT - firstT);
  }

  /** Each file's lines, file by file: the one place the files are read. */
  private List<List<String>> lines() throws IOException {
    List<List<String>> lines = new ArrayList<>();
    for (Path p : files) {
      lines.add(Files.readAllLines(p));
    }
    return lines;
  }
}
