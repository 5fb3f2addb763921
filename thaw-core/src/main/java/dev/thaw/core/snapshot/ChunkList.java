package dev.thaw.core.snapshot;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * How a snapshot file is stored remotely: cut into chunks of {@code size} bytes (the last one
 * shorter), each named by the SHA-256 of its content, so equal chunks of any two snapshots are
 * stored and fetched once. A chunk that is all zeros is listed as {@code null} and never stored:
 * guest memory is mostly untouched pages.
 *
 * @param size bytes per chunk, a multiple of 4 KiB (the page size) from 4 KiB to 64 MiB
 * @param sha256 one entry per chunk in file order: lower-case hex SHA-256, or {@code null} for a
 *     chunk of zeros
 * @param firstTouch indexes of the chunks the snapshot's first clone read, in the order it first
 *     read them (its working set; a lazy restore fetches these before the guest resumes); empty
 *     when not recorded, and then left out of the JSON
 * @param pages the pages the first clone read, stored together (memory files of snapshots made with
 *     a file server); null when not recorded, and then left out of the JSON
 */
public record ChunkList(
    int size,
    List<String> sha256,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) List<Integer> firstTouch,
    @JsonInclude(JsonInclude.Include.NON_NULL) WorkingPages pages) {
  public static final int MIN_SIZE = 4 << 10;
  public static final int MAX_SIZE = 64 << 20;
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

  public ChunkList {
    if (size < MIN_SIZE || size > MAX_SIZE || size % MIN_SIZE != 0) {
      throw new MalformedManifestException(
          "chunk size " + size + " is not a multiple of 4 KiB within 4 KiB..64 MiB", null);
    }
    Objects.requireNonNull(sha256, "sha256");
    for (String d : sha256) {
      if (d != null && !SHA256.matcher(d).matches()) {
        throw new MalformedManifestException("chunk sha256 is not 64 hex digits: " + d, null);
      }
    }
    // List.copyOf refuses nulls, and null is how a zero chunk is listed.
    sha256 = Collections.unmodifiableList(new ArrayList<>(sha256));
    firstTouch = firstTouch == null ? List.of() : List.copyOf(firstTouch);
    var seen = new java.util.HashSet<Integer>();
    for (int i : firstTouch) {
      if (i < 0 || i >= sha256.size() || !seen.add(i)) {
        throw new MalformedManifestException(
            "firstTouch lists chunk " + i + " twice or outside 0.." + (sha256.size() - 1), null);
      }
    }
  }

  /** A chunk list without a recorded working set. */
  public ChunkList(int size, List<String> sha256) {
    this(size, sha256, List.of(), null);
  }

  /** This list with {@code firstTouch} and {@code pages} as its working set. */
  public ChunkList withWorkingSet(List<Integer> firstTouch, WorkingPages pages) {
    return new ChunkList(size, sha256, firstTouch, pages);
  }

  /** Number of chunks a file of {@code fileSize} bytes has at {@code chunkSize}. */
  public static int count(long fileSize, int chunkSize) {
    return Math.toIntExact((fileSize + chunkSize - 1) / chunkSize);
  }

  /** Whether chunk {@code i} is all zeros (not stored). */
  public boolean isZero(int i) {
    return sha256.get(i) == null;
  }

  /** Offset of chunk {@code i} in the file. */
  public long offset(int i) {
    return (long) i * size;
  }

  /** Length of chunk {@code i} in a file of {@code fileSize} bytes. */
  public int length(int i, long fileSize) {
    return (int) Math.min(size, fileSize - offset(i));
  }
}
