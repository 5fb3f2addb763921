package dev.thaw.node.snapshot.fill;

import dev.thaw.core.io.Digests;
import dev.thaw.core.snapshot.SnapshotStore;
import dev.thaw.core.snapshot.WorkingPages;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.security.MessageDigest;
import java.util.BitSet;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads the working pages of a snapshot (the pages its first clones read, stored as one object and
 * asked for alongside the manifest) into its memory file, after checking their length and digest
 * against the manifest's, and then tells which reads they cover: a read of working pages never
 * waits for a chunk. It keeps the bytes received until the page-cache preload takes them.
 */
final class WorkingPagesLoader {
  private static final Logger log = LoggerFactory.getLogger(WorkingPagesLoader.class);

  private final String revision;
  private final WorkingPages wanted;
  private final FileChannel memory;
  private final long memorySize;
  private final TransferTally tally;
  private final BitSet pages = new BitSet();
  private volatile boolean written;
  private volatile long fetchedBytes;

  /** The pages as received, until the preload has taken them or they are no longer needed. */
  private volatile ByteBuffer data;

  WorkingPagesLoader(
      String revision,
      WorkingPages wanted,
      FileChannel memory,
      long memorySize,
      TransferTally tally) {
    this.revision = revision;
    this.wanted = wanted;
    this.memory = memory;
    this.memorySize = memorySize;
    this.tally = tally;
  }

  /** Like {@link #load(CompletableFuture, Optional)}, hashing the pages to check them. */
  boolean load(CompletableFuture<Optional<SnapshotStore.FetchedPages>> asked) {
    return load(asked, Optional.empty());
  }

  /**
   * Takes the pages {@code asked} for, checks them and writes them into the memory file.
   *
   * @param hashed their SHA-256 as computed on this node while they arrived, if it was: the check
   *     compares it and does not hash them again
   * @return false when they cannot be used (none stored, damaged, not this manifest's): the chunks
   *     they lie in take their place
   */
  boolean load(
      CompletableFuture<Optional<SnapshotStore.FetchedPages>> asked, Optional<String> hashed) {
    try {
      write(received(asked, hashed));
      return true;
    } catch (IOException | RuntimeException e) {
      log.warn(
          "cannot use the working pages of {} ({}): asking storage again if they came from a peer,"
              + " else fetching its first clone's chunks instead",
          revision,
          e.getMessage());
      return false;
    }
  }

  private ByteBuffer received(
      CompletableFuture<Optional<SnapshotStore.FetchedPages>> asked, Optional<String> hashed)
      throws IOException {
    Optional<SnapshotStore.FetchedPages> got;
    try {
      got = asked.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof UncheckedIOException u) {
        throw u.getCause();
      }
      throw e;
    }
    if (got.isEmpty()) {
      throw new IOException("remote storage has none");
    }
    fetchedBytes = got.get().storedBytes();
    tally.received(got.get().storedBytes());
    ByteBuffer received = got.get().data().slice();
    if (received.remaining() != wanted.bytes()) {
      throw new IOException(
          "they are " + received.remaining() + " bytes, the manifest says " + wanted.bytes());
    }
    if (!hashed.orElseGet(() -> sha256(received)).equals(wanted.sha256())) {
      throw new IOException("they differ from the manifest's digest");
    }
    return received;
  }

  private static String sha256(ByteBuffer data) {
    MessageDigest sha = Digests.newSha256();
    sha.update(data.duplicate());
    return Digests.hex(sha);
  }

  private void write(ByteBuffer received) throws IOException {
    int at = 0;
    for (long[] r : wanted.ranges()) {
      if (r[0] + r[1] > memorySize) {
        throw new IOException("they lie beyond the memory file");
      }
      ByteBuffer b = received.slice(at, (int) r[1]);
      for (long to = r[0]; b.hasRemaining(); ) {
        to += memory.write(b, to);
      }
      at += (int) r[1];
    }
    for (int i = 0; i < wanted.runs().size(); i += 2) {
      long p = wanted.runs().get(i);
      pages.set((int) p, (int) (p + wanted.runs().get(i + 1)));
    }
    data = received;
    written = true;
  }

  /** Whether the pages were written into the memory file. */
  boolean written() {
    return written;
  }

  /** The pages the manifest names. */
  WorkingPages pages() {
    return wanted;
  }

  /** Whether every page of {@code [from, to)} of the memory file is a written working page. */
  boolean covers(long from, long to) {
    if (!written) {
      return false;
    }
    int first = (int) (from / WorkingPages.PAGE);
    int end = (int) ((to + WorkingPages.PAGE - 1) / WorkingPages.PAGE);
    return pages.nextClearBit(first) >= end;
  }

  /** Bytes received for the pages. */
  long fetchedBytes() {
    return fetchedBytes;
  }

  /** The pages as received, once (null afterwards, or when they were not written). */
  ByteBuffer take() {
    ByteBuffer taken = data;
    data = null;
    return taken;
  }
}
