package dev.thaw.node.peer;

import dev.thaw.core.io.Digests;
import dev.thaw.core.io.FileTrees;
import dev.thaw.core.snapshot.ChunkList;
import dev.thaw.core.snapshot.SnapshotFile;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotManifestCodec;
import dev.thaw.core.snapshot.WorkingPages;
import dev.thaw.node.snapshot.cache.CachedSnapshot;
import dev.thaw.node.snapshot.cache.LocalSnapshotCache;
import io.micrometer.core.instrument.Counter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The start of a lazy restore ({@link StartBundle}) read from this node's committed cache entry of
 * a revision, pinned while it is read: the manifest as storage holds it ({@link
 * SnapshotManifestCodec#write}), the working pages from the memory file and the chunks of every
 * other file. Only a chunked snapshot whose manifest names working pages has one.
 *
 * <p>Every chunk is checked against its name when the start is read, as {@link CachedChunks} does;
 * a damaged one drops the entry, and the peer is told the start is not here. The pages are not
 * hashed here (the reader checks them against the manifest, and a few MiB hashed twice would be on
 * the reader's path): pages that fail there cost the reader one storage read.
 *
 * <p>A start is read and encoded once per entry and kept encoded ({@link #body}, up to {@link
 * #KEPT_BYTES} in all, the least recently served dropped first): reading some 7 MiB from the
 * entry's files, hashing its chunks and encoding them for every request was most of what a peer
 * took to answer. A kept body is served only while its entry is still the committed one (pinned and
 * checked for the request, and the same entry: its manifest, the object, tells it from a later one
 * of the revision); what it holds is as checked when it was read, and the entry's files are checked
 * at rest by the scrubber. The reader checks every part of it either way.
 */
final class CachedStarts {
  private static final Logger log = LoggerFactory.getLogger(CachedStarts.class);

  /** The most bytes of encoded starts kept. */
  static final long KEPT_BYTES = 64L << 20;

  private final LocalSnapshotCache cache;
  private final Counter damaged;

  /** Encoded starts by revision, least recently served first; guarded by {@code this}. */
  private final Map<String, Encoded> kept = new LinkedHashMap<>(16, 0.75f, true);

  private long keptBytes;

  /** A start as encoded from the entry whose manifest is {@code manifest}. */
  private record Encoded(SnapshotManifest manifest, byte[] body) {}

  CachedStarts(LocalSnapshotCache cache, Counter damaged) {
    this.cache = cache;
    this.damaged = damaged;
  }

  /**
   * The start of {@code revision}'s committed entry, encoded ({@link StartBundle#encode}): as kept
   * from an earlier request while the entry is the same, else read and kept; empty when none here
   * can give one.
   */
  Optional<byte[]> body(String revision) throws IOException {
    Optional<CachedSnapshot> pinned = cache.acquireChecked(revision);
    if (pinned.isEmpty()) {
      forget(revision);
      return Optional.empty();
    }
    try (CachedSnapshot entry = pinned.get()) {
      Optional<byte[]> ready = keptFor(revision, entry.manifest());
      if (ready.isPresent()) {
        return ready;
      }
      Optional<StartBundle> start = read(entry);
      if (start.isEmpty()) {
        return Optional.empty();
      }
      byte[] body = start.get().encode();
      keep(revision, entry.manifest(), body);
      return Optional.of(body);
    }
  }

  private synchronized Optional<byte[]> keptFor(String revision, SnapshotManifest manifest) {
    Encoded e = kept.get(revision);
    return e != null && e.manifest() == manifest ? Optional.of(e.body()) : Optional.empty();
  }

  private synchronized void keep(String revision, SnapshotManifest manifest, byte[] body) {
    if (body.length > KEPT_BYTES) {
      return;
    }
    forget(revision);
    for (var it = kept.values().iterator();
        it.hasNext() && keptBytes + body.length > KEPT_BYTES; ) {
      keptBytes -= it.next().body().length;
      it.remove();
    }
    kept.put(revision, new Encoded(manifest, body));
    keptBytes += body.length;
  }

  private synchronized void forget(String revision) {
    Encoded gone = kept.remove(revision);
    if (gone != null) {
      keptBytes -= gone.body().length;
    }
  }

  /** The start of {@code revision}'s committed entry; empty when none here can give one. */
  Optional<StartBundle> read(String revision) throws IOException {
    Optional<CachedSnapshot> pinned = cache.acquireChecked(revision);
    if (pinned.isEmpty()) {
      return Optional.empty();
    }
    try (CachedSnapshot entry = pinned.get()) {
      return read(entry);
    }
  }

  /** The start of the pinned {@code entry}; empty when it cannot give one (or is damaged). */
  private Optional<StartBundle> read(CachedSnapshot entry) throws IOException {
    SnapshotManifest m = entry.manifest();
    Optional<SnapshotFile> memory = m.file(SnapshotFile.Role.MEMORY);
    if (!m.chunked() || memory.isEmpty() || memory.get().chunks().pages() == null) {
      return Optional.empty();
    }
    ByteBuffer pages = pages(entry, memory.get());
    Map<String, byte[]> chunks = new LinkedHashMap<>();
    for (SnapshotFile f : m.files()) {
      if (f.role() != SnapshotFile.Role.MEMORY && !chunks(entry, f, chunks)) {
        return Optional.empty();
      }
    }
    byte[] json = SnapshotManifestCodec.write(m).getBytes(StandardCharsets.UTF_8);
    return Optional.of(new StartBundle(json, pages, chunks));
  }

  private static ByteBuffer pages(CachedSnapshot entry, SnapshotFile memory) throws IOException {
    WorkingPages wanted = memory.chunks().pages();
    if (!wanted.fitsIn(memory.size()) || wanted.bytes() > Integer.MAX_VALUE) {
      throw new IOException("the working pages of " + entry.revision() + " do not fit its memory");
    }
    ByteBuffer pages = ByteBuffer.allocate((int) wanted.bytes());
    try (FileChannel file =
        FileChannel.open(entry.dir().resolve(memory.name()), StandardOpenOption.READ)) {
      for (long[] r : wanted.ranges()) {
        ByteBuffer run = pages.slice(pages.position(), (int) r[1]);
        for (long at = r[0]; run.hasRemaining(); ) {
          int n = file.read(run, at);
          if (n < 0) {
            throw new IOException("the memory file of " + entry.revision() + " is short");
          }
          at += n;
        }
        pages.position(pages.position() + (int) r[1]);
      }
    }
    return pages.flip();
  }

  /**
   * Reads {@code f}'s distinct non-zero chunks into {@code into}, each checked; false (the entry
   * dropped) when one does not match its name.
   */
  private boolean chunks(CachedSnapshot entry, SnapshotFile f, Map<String, byte[]> into)
      throws IOException {
    ChunkList list = f.chunks();
    try (FileChannel file =
        FileChannel.open(entry.dir().resolve(f.name()), StandardOpenOption.READ)) {
      for (int i = 0; i < list.sha256().size(); i++) {
        String d = list.sha256().get(i);
        if (d == null || into.containsKey(d)) {
          continue;
        }
        byte[] data = new byte[list.length(i, f.size())];
        FileTrees.readFully(file, data, data.length, list.offset(i));
        String found = Digests.sha256(data, 0, data.length);
        if (!found.equals(d)) {
          String why =
              "chunk " + d + " at " + list.offset(i) + " of " + f.name() + " reads as " + found;
          damaged.increment();
          log.warn("not serving a peer the start of {}: {}; dropping it", entry.revision(), why);
          cache.drop(entry.revision(), why);
          return false;
        }
        into.put(d, data);
      }
    }
    return true;
  }
}
