package dev.thaw.node.snapshot.fill;

import dev.thaw.core.function.BuiltinFunctions;
import dev.thaw.core.io.Digests;
import dev.thaw.core.snapshot.SnapshotFile;
import dev.thaw.core.snapshot.SnapshotFixtures;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotStore;
import dev.thaw.core.snapshot.WorkingPages;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Random;

/**
 * A snapshot of 48 chunks of random memory, every third chunk zero, whose working pages are pages
 * 83 and 84 (in chunk 5) and 640..642 (chunk 40), and whose first clone read chunks 5, 6 (zero) and
 * 40; with the pages as the store would hand them over.
 */
final class WorkingPagesFixture {
  static final int CHUNK = 64 << 10;

  final byte[] memory = new byte[48 * CHUNK];
  final SnapshotManifest manifest;
  final ByteBuffer pages;

  WorkingPagesFixture(Path dir) throws IOException {
    new Random(7).nextBytes(memory);
    for (int c = 0; c < memory.length / CHUNK; c += 3) {
      Arrays.fill(memory, c * CHUNK, (c + 1) * CHUNK, (byte) 0);
    }
    BitSet set = new BitSet();
    set.set(83, 85);
    set.set(640, 643);
    MessageDigest sha = Digests.newSha256();
    ByteBuffer data = ByteBuffer.allocate(5 * WorkingPages.PAGE);
    for (int p = set.nextSetBit(0); p >= 0; p = set.nextSetBit(p + 1)) {
      sha.update(memory, p * WorkingPages.PAGE, WorkingPages.PAGE);
      data.put(memory, p * WorkingPages.PAGE, WorkingPages.PAGE);
    }
    this.pages = data.flip();
    this.manifest =
        SnapshotFixtures.chunked(dir, "fn", BuiltinFunctions.HELLO, memory, CHUNK)
            .withWorkingSet(
                List.of(5, 6, 40), new WorkingPages(WorkingPages.runsOf(set), Digests.hex(sha)));
  }

  SnapshotFile memoryFile() {
    return manifest.file(SnapshotFile.Role.MEMORY).orElseThrow();
  }

  WorkingPages workingPages() {
    return memoryFile().chunks().pages();
  }

  /** The pages as received from the store. */
  SnapshotStore.FetchedPages fetched() {
    return new SnapshotStore.FetchedPages(pages.duplicate(), 1234);
  }

  byte[] bytes(long from, long to) {
    return Arrays.copyOfRange(memory, (int) from, (int) to);
  }
}
