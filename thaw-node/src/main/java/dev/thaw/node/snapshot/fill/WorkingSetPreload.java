package dev.thaw.node.snapshot.fill;

import dev.thaw.core.lazy.FileServer;
import dev.thaw.core.snapshot.ChunkList;
import dev.thaw.core.snapshot.SnapshotFile;
import dev.thaw.core.snapshot.SnapshotManifest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts the working set of a lazily filled memory file into the kernel's page cache, where the
 * guest's faults would otherwise make one round trip through the file server per page. The working
 * set is the working pages when they were loaded, else the chunks the first clone read; the zero
 * chunks the first clone read join it too: they cost no fetch, and in the page cache they spare the
 * guest a round trip for each page it takes from its free memory.
 */
final class WorkingSetPreload {
  private static final Logger log = LoggerFactory.getLogger(WorkingSetPreload.class);

  /** Zero bytes stored into the page cache at once (never written to). */
  private static final byte[] ZEROS = new byte[256 << 10];

  private final SnapshotManifest manifest;
  private final Optional<WorkingPagesLoader> pages;

  WorkingSetPreload(SnapshotManifest manifest, Optional<WorkingPagesLoader> pages) {
    this.manifest = manifest;
    this.pages = pages;
  }

  /**
   * The byte ranges of the memory file the guest is expected to read first, sorted and merged: the
   * working pages when they were written, else the first clone's chunks.
   */
  List<long[]> ranges() {
    if (pages.isEmpty() || !pages.get().written()) {
      return firstTouchRanges(false);
    }
    List<long[]> ranges = new ArrayList<>(pages.get().pages().ranges());
    ranges.addAll(firstTouchRanges(true));
    return merged(ranges);
  }

  /**
   * Preloads the served memory file {@code name}: the working pages straight from the bytes
   * received, and the first clone's zero chunks as zeros, when {@code server} can take them ({@link
   * FileServer#store}); otherwise the kernel reads {@link #ranges()} ahead through the server,
   * which then reads them back from the files.
   */
  void preload(FileServer server, String name) throws IOException {
    ByteBuffer data = pages.map(WorkingPagesLoader::take).orElse(null);
    try {
      if (data != null && store(server, name, data)) {
        return;
      }
    } catch (IOException e) {
      log.warn(
          "cannot store {}'s working set: {}; reading it ahead",
          manifest.revision(),
          e.getMessage());
    }
    server.readAhead(name, ranges());
  }

  /** Stores the working pages and the first clone's zero chunks; false if the server cannot. */
  private boolean store(FileServer server, String name, ByteBuffer data) throws IOException {
    int at = 0;
    for (long[] r : pages.orElseThrow().pages().ranges()) {
      if (!server.store(name, r[0], data.slice(at, (int) r[1]))) {
        return false;
      }
      at += (int) r[1];
    }
    for (long[] r : firstTouchRanges(true)) {
      for (long done = 0; done < r[1]; done += ZEROS.length) {
        server.store(
            name,
            r[0] + done,
            ByteBuffer.wrap(ZEROS, 0, (int) Math.min(ZEROS.length, r[1] - done)));
      }
    }
    return true;
  }

  /** The chunks of the memory file the first clone read (its zero chunks alone), merged. */
  private List<long[]> firstTouchRanges(boolean zeroOnly) {
    List<long[]> ranges = new ArrayList<>();
    manifest
        .file(SnapshotFile.Role.MEMORY)
        .ifPresent(
            f -> {
              ChunkList chunks = f.chunks();
              for (int i : chunks.firstTouch()) {
                if (!zeroOnly || chunks.isZero(i)) {
                  ranges.add(new long[] {chunks.offset(i), chunks.length(i, f.size())});
                }
              }
            });
    return merged(ranges);
  }

  /** {@code ranges} sorted, overlapping and touching ones joined. */
  static List<long[]> merged(List<long[]> ranges) {
    ranges.sort(Comparator.comparingLong(r -> r[0]));
    List<long[]> merged = new ArrayList<>();
    for (long[] r : ranges) {
      long[] last = merged.isEmpty() ? null : merged.get(merged.size() - 1);
      if (last != null && r[0] <= last[0] + last[1]) {
        last[1] = Math.max(last[1], r[0] + r[1] - last[0]);
      } else {
        merged.add(new long[] {r[0], r[1]});
      }
    }
    return merged;
  }
}
