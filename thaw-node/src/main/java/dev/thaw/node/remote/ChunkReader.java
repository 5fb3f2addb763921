package dev.thaw.node.remote;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdException;
import dev.thaw.core.io.Digests;
import dev.thaw.core.snapshot.PackIndex;
import dev.thaw.core.snapshot.SnapshotMismatchException;
import dev.thaw.core.snapshot.SnapshotStore.FetchedChunk;
import dev.thaw.core.snapshot.SnapshotStore.FetchedPages;
import dev.thaw.core.store.ObjectStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads chunks of format-2 snapshots: from their own objects, or in runs from a revision's pack
 * with one ranged read. Counts the bytes received.
 */
final class ChunkReader {
  private static final Logger log = LoggerFactory.getLogger(ChunkReader.class);
  static final JsonMapper PACK_JSON = JsonMapper.builder().build();

  private final ObjectStore objects;
  private final ChunkCodec codec;
  private final LongAdder received;

  ChunkReader(ObjectStore objects, ChunkCodec codec, LongAdder received) {
    this.objects = objects;
    this.codec = codec;
    this.received = received;
  }

  /** See {@link dev.thaw.core.snapshot.SnapshotStore#chunk}. */
  FetchedChunk chunk(String sha256, int length) throws IOException {
    byte[] stored =
        objects
            .get(RemoteKeys.chunk(sha256))
            .orElseThrow(
                () ->
                    new IOException("chunk " + sha256 + " is missing from " + objects.describe()));
    received.add(stored.length);
    byte[] data = new byte[length];
    long n;
    try {
      n = codec.decode(data, stored, 0, stored.length);
    } catch (ZstdException | IllegalArgumentException e) {
      throw new SnapshotMismatchException(
          "chunk " + sha256 + " does not decode to " + length + " bytes: " + e.getMessage(), e);
    }
    if (n != length) {
      throw new SnapshotMismatchException(
          "chunk " + sha256 + " decodes to " + n + " bytes, not " + length, null);
    }
    return new FetchedChunk(data, stored.length, false);
  }

  /** See {@link dev.thaw.core.snapshot.SnapshotStore#workingPages}. */
  Optional<FetchedPages> workingPages(String revision, long maxLength) throws IOException {
    // Off the heap, as the pages they decode to: megabytes that would be humongous objects for
    // the garbage collector, whose allocation can start a concurrent cycle amid a restore.
    Optional<ByteBuffer> stored = objects.getDirect(RemoteKeys.pages(revision));
    if (stored.isEmpty()) {
      return Optional.empty();
    }
    ByteBuffer frame = stored.get();
    int frameBytes = frame.remaining();
    received.add(frameBytes);
    // The upload writes the decoded size into the frame's header.
    long length = Zstd.getDirectByteBufferFrameContentSize(frame, frame.position(), frameBytes);
    if (length < 0 || length > maxLength || length > Integer.MAX_VALUE) {
      throw new SnapshotMismatchException(
          "the working pages of "
              + revision
              + " do not name a decoded size of at most "
              + maxLength
              + " bytes ("
              + length
              + ")",
          null);
    }
    ByteBuffer data = ByteBuffer.allocateDirect((int) length);
    long n;
    try {
      n = codec.decode(data, frame);
    } catch (ZstdException | IllegalArgumentException e) {
      throw new SnapshotMismatchException(
          "the working pages of " + revision + " do not decode: " + e.getMessage(), e);
    }
    if (n != length) {
      throw new SnapshotMismatchException(
          "the working pages of " + revision + " decode to " + n + " bytes, not " + length, null);
    }
    return Optional.of(new FetchedPages(data.clear().asReadOnlyBuffer(), frameBytes));
  }

  /** The pack index of {@code revision}; empty when absent or unreadable (it is optional). */
  Optional<PackIndex> packIndex(String revision) throws IOException {
    Optional<byte[]> json = objects.get(RemoteKeys.packIndex(revision));
    try {
      return json.map(bytes -> PACK_JSON.readValue(bytes, PackIndex.class));
    } catch (JacksonException e) {
      log.warn("ignoring the unreadable pack index of {}: {}", revision, e.getOriginalMessage());
      return Optional.empty();
    }
  }

  /** See {@link dev.thaw.core.snapshot.SnapshotStore#packChunks}. */
  List<FetchedChunk> packChunks(String revision, List<PackIndex.Entry> run, List<Integer> lengths)
      throws IOException {
    long from = run.get(0).offset();
    long to = run.get(run.size() - 1).end();
    byte[] range = objects.getRange(RemoteKeys.pack(revision), from, Math.toIntExact(to - from));
    received.add(range.length);
    List<FetchedChunk> out = new ArrayList<>(run.size());
    for (int i = 0; i < run.size(); i++) {
      PackIndex.Entry e = run.get(i);
      int at = (int) (e.offset() - from);
      boolean intact =
          e.stored() == null || Digests.sha256(range, at, e.length()).equals(e.stored());
      byte[] data = new byte[intact ? lengths.get(i) : 0];
      try {
        if (intact && codec.decode(data, range, at, e.length()) != data.length) {
          data = new byte[0];
        }
      } catch (ZstdException bad) {
        data = new byte[0];
      }
      boolean verified = e.stored() != null && data.length == lengths.get(i);
      out.add(new FetchedChunk(data, i == 0 ? range.length : 0, verified));
    }
    return out;
  }
}
