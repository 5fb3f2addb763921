package dev.thaw.node.remote;

import dev.thaw.core.io.Digests;
import dev.thaw.core.io.FileTrees;
import dev.thaw.core.snapshot.ChunkList;
import dev.thaw.core.snapshot.PackIndex;
import dev.thaw.core.snapshot.SnapshotFile;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotManifestCodec;
import dev.thaw.core.snapshot.SnapshotMismatchException;
import dev.thaw.core.snapshot.WorkingPages;
import dev.thaw.core.store.ObjectStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.function.Consumer;

/**
 * Uploads of format-2 snapshots: each distinct chunk stored once for the whole store, the
 * revision's pack, then the manifest.
 *
 * <p>Safe against a concurrent garbage collection: the upload first records its manifest under
 * {@code _uploads/}, then waits while the collection lock is held, and only then checks which
 * chunks the store has. A collection writes its lock before it reads those records. So either the
 * upload sees the lock and relies on no chunk before the collection ends, or the collection sees
 * the record and keeps the chunks it names.
 */
final class ChunkedUpload {
  private final ObjectStore objects;
  private final ChunkCodec codec;
  private final ExecutorService pool;
  private final GcLock lock;

  ChunkedUpload(ObjectStore objects, ChunkCodec codec, ExecutorService pool, GcLock lock) {
    this.objects = objects;
    this.codec = codec;
    this.pool = pool;
    this.lock = lock;
  }

  /**
   * Records the upload, waits for any collection, sends the chunks the store lacks (compressed, in
   * parallel), writes the pack, its index and the manifest, then drops the record.
   *
   * @param revision the name the snapshot is stored under
   * @param phases told {@code "waiting-for-gc"}, {@code "chunks-checking"} and {@code
   *     "chunks-stored"} as the upload reaches them
   */
  void upload(String revision, SnapshotManifest manifest, Path dir, Consumer<String> phases)
      throws IOException {
    String record = RemoteKeys.upload(revision, UUID.randomUUID().toString());
    Path pack = Files.createTempFile("thaw-pack-", "");
    try {
      // The record comes first: a collection that starts after this point sees it.
      objects.put(record, SnapshotManifestCodec.write(manifest).getBytes(StandardCharsets.UTF_8));
      lock.awaitReleased(phases);
      phases.accept("chunks-checking");
      List<String> digests = new ArrayList<>();
      List<Future<byte[]>> stored = new ArrayList<>();
      Set<String> seen = new HashSet<>();
      for (SnapshotFile f : manifest.files()) {
        ChunkList chunks = f.chunks();
        Path file = dir.resolve(f.name());
        for (int i = 0; i < chunks.sha256().size(); i++) {
          String digest = chunks.sha256().get(i);
          if (digest != null && seen.add(digest)) {
            long offset = chunks.offset(i);
            int length = chunks.length(i, f.size());
            digests.add(digest);
            stored.add(pool.submit(() -> storeChunk(digest, file, offset, length)));
          }
        }
      }
      List<PackIndex.Entry> entries = writePack(pack, digests, stored, revision);
      phases.accept("chunks-stored");
      objects.put(RemoteKeys.pack(revision), pack);
      Optional<byte[]> pages = workingPages(manifest, dir);
      if (pages.isPresent()) {
        objects.put(RemoteKeys.pages(revision), pages.get());
      }
      objects.put(
          RemoteKeys.packIndex(revision),
          ChunkReader.PACK_JSON.writeValueAsBytes(new PackIndex(entries)));
      WholeFiles.putManifest(objects, revision, manifest);
      objects.delete(record);
    } finally {
      Files.deleteIfExists(pack);
    }
  }

  /** The pack: every stored chunk again, in file order, written as the chunks complete. */
  private List<PackIndex.Entry> writePack(
      Path pack, List<String> digests, List<Future<byte[]>> stored, String revision)
      throws IOException {
    List<PackIndex.Entry> entries = new ArrayList<>();
    long at = 0;
    try (FileChannel out = FileChannel.open(pack, StandardOpenOption.WRITE)) {
      for (int i = 0; i < stored.size(); i++) {
        byte[] frame = await(stored.get(i), revision);
        ByteBuffer b = ByteBuffer.wrap(frame);
        while (b.hasRemaining()) {
          out.write(b);
        }
        entries.add(
            new PackIndex.Entry(
                digests.get(i), at, frame.length, Digests.sha256(frame, 0, frame.length)));
        at += frame.length;
      }
    } finally {
      stored.forEach(f -> f.cancel(true));
    }
    return entries;
  }

  /**
   * The working pages of the memory file (one zstd frame of their content, run after run), checked
   * against the manifest; empty when it lists none.
   */
  private Optional<byte[]> workingPages(SnapshotManifest manifest, Path dir) throws IOException {
    Optional<SnapshotFile> memory = manifest.file(SnapshotFile.Role.MEMORY);
    if (memory.isEmpty()
        || memory.get().chunks() == null
        || memory.get().chunks().pages() == null) {
      return Optional.empty();
    }
    WorkingPages pages = memory.get().chunks().pages();
    byte[] content = new byte[Math.toIntExact(pages.bytes())];
    int at = 0;
    try (FileChannel in =
        FileChannel.open(dir.resolve(memory.get().name()), StandardOpenOption.READ)) {
      for (long[] r : pages.ranges()) {
        byte[] run = new byte[Math.toIntExact(r[1])];
        FileTrees.readFully(in, run, run.length, r[0]);
        System.arraycopy(run, 0, content, at, run.length);
        at += run.length;
      }
    }
    if (!Digests.sha256(content, 0, content.length).equals(pages.sha256())) {
      throw new SnapshotMismatchException(
          "the working pages of " + manifest.revision() + " differ from their manifest", null);
    }
    return Optional.of(codec.encode(content));
  }

  /** Compresses one chunk, stores it unless the store has it, and returns the stored bytes. */
  private byte[] storeChunk(String digest, Path file, long offset, int length) throws IOException {
    byte[] content = new byte[length];
    try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
      FileTrees.readFully(in, content, length, offset);
    }
    byte[] stored = codec.encode(content);
    String key = RemoteKeys.chunk(digest);
    if (objects.head(key).isEmpty()) {
      objects.put(key, stored);
    }
    return stored;
  }

  private <T> T await(Future<T> f, String revision) throws IOException {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted uploading " + revision, e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      throw new IOException(
          "cannot upload " + revision + " to " + objects.describe() + ": " + cause.getMessage(),
          cause);
    }
  }
}
