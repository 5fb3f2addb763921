package dev.thaw.core.snapshot;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The pages of a snapshot's memory file its first clone read while it resumed and answered its
 * first invocation, stored together as one object beside the chunks: a lazy restore fetches them
 * with one request before the guest resumes, instead of the whole chunks they lie in (hello's 3.2
 * MiB of pages lie in 15 MiB of 64 KiB chunks). Pages of zero chunks are left out (they are holes).
 *
 * @param runs the pages as runs {@code [first page, page count, ...]}, pages of {@link #PAGE}
 *     bytes, ascending and apart (a run never touches the next)
 * @param sha256 lower-case hex SHA-256 of the pages' content, run after run: the object holds
 *     exactly these bytes (compressed), and a restore checks them before it uses one
 */
public record WorkingPages(List<Long> runs, String sha256) {
  /** The page size runs count in. */
  public static final int PAGE = 4 << 10;

  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

  public WorkingPages {
    runs = List.copyOf(Objects.requireNonNull(runs, "runs"));
    if (runs.size() % 2 != 0) {
      throw new MalformedManifestException("working pages list an odd number of run bounds", null);
    }
    long end = -1;
    for (int i = 0; i < runs.size(); i += 2) {
      long first = runs.get(i);
      long count = runs.get(i + 1);
      if (first <= end || count < 1 || first + count < first) {
        throw new MalformedManifestException(
            "working pages: run " + first + "+" + count + " is empty, unsorted or overlapping",
            null);
      }
      end = first + count;
    }
    if (sha256 == null || !SHA256.matcher(sha256).matches()) {
      throw new MalformedManifestException("working pages sha256 is not 64 hex digits", null);
    }
  }

  /** Runs of the pages set in {@code pages} (page indexes, any order, no duplicates needed). */
  public static List<Long> runsOf(java.util.BitSet pages) {
    List<Long> runs = new ArrayList<>();
    for (int p = pages.nextSetBit(0); p >= 0; ) {
      int end = pages.nextClearBit(p);
      runs.add((long) p);
      runs.add((long) (end - p));
      p = pages.nextSetBit(end);
    }
    return runs;
  }

  /** Number of pages. */
  public long pages() {
    long n = 0;
    for (int i = 1; i < runs.size(); i += 2) {
      n += runs.get(i);
    }
    return n;
  }

  /** Bytes of content: pages × {@link #PAGE}. */
  public long bytes() {
    return pages() * PAGE;
  }

  /** The runs as {@code [offset, length]} byte ranges of the file. */
  public List<long[]> ranges() {
    List<long[]> out = new ArrayList<>(runs.size() / 2);
    for (int i = 0; i < runs.size(); i += 2) {
      out.add(new long[] {runs.get(i) * PAGE, runs.get(i + 1) * PAGE});
    }
    return out;
  }

  /** Whether the last page lies within a file of {@code size} bytes. */
  public boolean fitsIn(long size) {
    if (runs.isEmpty()) {
      return true;
    }
    long end = runs.get(runs.size() - 2) + runs.get(runs.size() - 1);
    return end <= size / PAGE;
  }
}
