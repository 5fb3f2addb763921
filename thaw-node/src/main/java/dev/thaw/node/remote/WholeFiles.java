package dev.thaw.node.remote;

import dev.thaw.core.io.Digests;
import dev.thaw.core.snapshot.Chunker;
import dev.thaw.core.snapshot.SnapshotFile;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotManifestCodec;
import dev.thaw.core.snapshot.SnapshotMismatchException;
import dev.thaw.core.store.ObjectStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.LongAdder;

/**
 * Format-1 snapshots: each file stored whole under its revision, downloaded as parallel ranged
 * reads, and the manifest written last.
 */
final class WholeFiles {
  private final ObjectStore objects;
  private final ExecutorService pool;
  private final int parallelism;
  private final long rangeBytes;
  private final LongAdder received;

  WholeFiles(
      ObjectStore objects,
      ExecutorService pool,
      int parallelism,
      long rangeBytes,
      LongAdder received) {
    this.objects = objects;
    this.pool = pool;
    this.parallelism = parallelism;
    this.rangeBytes = rangeBytes;
    this.received = received;
  }

  /** Every file of {@code manifest} from {@code dir}, then the manifest. */
  void upload(String revision, SnapshotManifest manifest, Path dir) throws IOException {
    for (SnapshotFile f : manifest.files()) {
      objects.put(RemoteKeys.file(revision, f.name()), dir.resolve(f.name()));
    }
    putManifest(objects, revision, manifest);
  }

  /**
   * Writes the manifest of a snapshot stored as {@code revision}, its digest just before it: the
   * snapshot now exists. A reader that finds a digest of an older manifest (this one not written
   * yet) refuses a peer's copy of this one and reads storage's.
   */
  static void putManifest(ObjectStore objects, String revision, SnapshotManifest manifest)
      throws IOException {
    byte[] json = SnapshotManifestCodec.write(manifest).getBytes(StandardCharsets.UTF_8);
    objects.put(
        RemoteKeys.manifestSha256(revision),
        Digests.sha256(json, 0, json.length).getBytes(StandardCharsets.US_ASCII));
    objects.put(RemoteKeys.manifest(revision), json);
  }

  /**
   * Fetches ranges in parallel (a window of {@code 2 × parallelism} in flight) and consumes them in
   * order: each range is hashed and written at its offset as it arrives, so the SHA-256 check needs
   * no second pass over the file. All-zero ranges are not written (holes).
   *
   * @throws SnapshotMismatchException when the content's SHA-256 differs from the manifest's
   */
  void download(String revision, SnapshotFile file, Path target) throws IOException {
    String key = RemoteKeys.file(revision, file.name());
    MessageDigest sha = Digests.newSha256();
    Deque<Future<byte[]>> window = new ArrayDeque<>();
    try (FileChannel out =
        FileChannel.open(
            target,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
      // Sized first: ranges land at their offsets, and skipped zero ranges stay holes.
      if (file.size() > 0) {
        out.write(ByteBuffer.allocate(1), file.size() - 1);
      }
      long next = 0;
      long position = 0;
      while (position < file.size()) {
        while (next < file.size() && window.size() < 2 * parallelism) {
          long from = next;
          int length = (int) Math.min(file.size() - next, rangeBytes);
          window.add(pool.submit(() -> fetchRange(key, from, length)));
          next = from + length;
        }
        byte[] range = window.poll().get();
        sha.update(range);
        if (!Chunker.isZero(range, 0, range.length)) {
          ByteBuffer b = ByteBuffer.wrap(range);
          long at = position;
          while (b.hasRemaining()) {
            at += out.write(b, at);
          }
        }
        position += range.length;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted downloading " + key, e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      throw cause instanceof IOException io
          ? io
          : new IOException(
              "cannot download " + key + " from " + objects.describe() + ": " + cause, cause);
    } finally {
      window.forEach(f -> f.cancel(true));
    }
    String actual = Digests.hex(sha);
    if (!actual.equals(file.sha256())) {
      throw new SnapshotMismatchException(
          key + " has sha256 " + actual + "; the manifest says " + file.sha256(), null);
    }
  }

  private byte[] fetchRange(String key, long from, int length) throws IOException {
    byte[] range = objects.getRange(key, from, length);
    received.add(range.length);
    return range;
  }
}
