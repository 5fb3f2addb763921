package dev.thaw.node.remote;

import dev.thaw.core.io.Digests;
import dev.thaw.core.io.FileTrees;
import dev.thaw.core.snapshot.ChunkList;
import dev.thaw.core.snapshot.Chunker;
import dev.thaw.core.store.ObjectStore;
import dev.thaw.image.FilesystemFormat;
import dev.thaw.image.ImageConfig;
import dev.thaw.image.RootImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * Root filesystem images in remote storage, stored like snapshot files: content-addressed chunks
 * (zero chunks elided, each stored once among every image and snapshot of the store, so images that
 * share content share chunks) under {@code _chunks/}, and one record per image and format, {@code
 * _images/FORMAT-HEX.json}: its digest, size, config and chunk list. A node that lacks a root image
 * takes it from here instead of pulling and building it; the node that builds one first stores it
 * here.
 *
 * <p>The record is written twice: incomplete before the chunks (from then on a garbage collection
 * counts its chunks as referenced), complete after them. A reader takes only complete records; an
 * upload cut off midway leaves an incomplete one, which the next upload of the image completes.
 */
public final class RemoteRootImages {
  /** The version of an image record. */
  public static final int FORMAT_VERSION = 1;

  static final String IMAGES = "_images/";

  /** Chunk size of root images: the unit of storage and dedup, as for snapshots by default. */
  public static final int CHUNK_SIZE = 64 << 10;

  static final JsonMapper JSON =
      JsonMapper.builder().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();

  /**
   * One image's record.
   *
   * @param formatVersion {@link #FORMAT_VERSION}
   * @param complete whether every chunk is stored
   * @param imageDigest the image's manifest digest
   * @param format the root image's filesystem
   * @param sizeBytes the root image's size
   * @param sha256 the root image file's SHA-256
   * @param config what the guest starts
   * @param chunks the file's chunks
   */
  public record Stored(
      int formatVersion,
      boolean complete,
      String imageDigest,
      FilesystemFormat format,
      long sizeBytes,
      String sha256,
      ImageConfig config,
      ChunkList chunks) {}

  private final ObjectStore objects;
  private final ChunkCodec codec;
  private final ChunkReader reader;
  private final GcLock lock;
  private final ExecutorService pool;

  RemoteRootImages(
      ObjectStore objects,
      ChunkCodec codec,
      ChunkReader reader,
      GcLock lock,
      ExecutorService pool) {
    this.objects = objects;
    this.codec = codec;
    this.reader = reader;
    this.lock = lock;
    this.pool = pool;
  }

  static String key(String imageDigest, FilesystemFormat format) {
    return IMAGES
        + format.name().toLowerCase(Locale.ROOT)
        + "-"
        + imageDigest.substring(imageDigest.indexOf(':') + 1)
        + ".json";
  }

  /** The complete record of {@code imageDigest} in {@code format}, if storage has one. */
  public Optional<Stored> find(String imageDigest, FilesystemFormat format) throws IOException {
    Optional<byte[]> json = objects.get(key(imageDigest, format));
    if (json.isEmpty()) {
      return Optional.empty();
    }
    Stored s = parse(json.get(), key(imageDigest, format));
    return s.complete() && s.imageDigest().equals(imageDigest) && s.format() == format
        ? Optional.of(s)
        : Optional.empty();
  }

  private static Stored parse(byte[] json, String key) throws IOException {
    try {
      Stored s = JSON.readValue(json, Stored.class);
      if (s.formatVersion() != FORMAT_VERSION) {
        throw new IOException(key + " has format " + s.formatVersion() + ", not " + FORMAT_VERSION);
      }
      return s;
    } catch (JacksonException | IllegalArgumentException e) {
      throw new IOException(key + " is not an image record: " + e.getMessage(), e);
    }
  }

  /** Stores {@code image} (its chunks the store lacks, then its record). */
  public void upload(RootImage image) throws IOException {
    ChunkList chunks = Chunker.describe(image.file(), CHUNK_SIZE);
    Stored record =
        new Stored(
            FORMAT_VERSION,
            false,
            image.imageDigest(),
            image.format(),
            image.sizeBytes(),
            Digests.sha256(image.file()),
            image.config(),
            chunks);
    String key = key(image.imageDigest(), image.format());
    objects.put(key, JSON.writeValueAsBytes(record));
    lock.awaitReleased(phase -> {});
    List<Future<Void>> stored = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < chunks.sha256().size(); i++) {
      String digest = chunks.sha256().get(i);
      if (digest != null && seen.add(digest)) {
        long offset = chunks.offset(i);
        int length = chunks.length(i, image.sizeBytes());
        stored.add(pool.submit(() -> storeChunk(digest, image.file(), offset, length)));
      }
    }
    awaitAll(stored, "storing " + key);
    objects.put(
        key,
        JSON.writeValueAsBytes(
            new Stored(
                FORMAT_VERSION,
                true,
                record.imageDigest(),
                record.format(),
                record.sizeBytes(),
                record.sha256(),
                record.config(),
                chunks)));
  }

  private Void storeChunk(String digest, Path file, long offset, int length) throws IOException {
    String key = RemoteKeys.chunk(digest);
    if (objects.head(key).isPresent()) {
      return null;
    }
    byte[] content = new byte[length];
    try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
      FileTrees.readFully(in, content, length, offset);
    }
    objects.put(key, codec.encode(content));
    return null;
  }

  /**
   * Writes the root image of {@code stored} to {@code target}: every chunk fetched, decoded and
   * checked against its digest, zero chunks left as holes, and the whole file against its SHA-256.
   *
   * @throws IOException when a chunk is missing or corrupt, or the file does not match
   */
  public void download(Stored stored, Path target) throws IOException {
    ChunkList chunks = stored.chunks();
    try (FileChannel out =
        FileChannel.open(
            target,
            StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE,
            StandardOpenOption.SPARSE)) {
      List<Future<Void>> written = new ArrayList<>();
      for (int i = 0; i < chunks.sha256().size(); i++) {
        String digest = chunks.sha256().get(i);
        if (digest == null) {
          continue;
        }
        long offset = chunks.offset(i);
        int length = chunks.length(i, stored.sizeBytes());
        written.add(
            pool.submit(
                () -> {
                  byte[] data = reader.chunk(digest, length).data();
                  if (!Digests.sha256(data, 0, data.length).equals(digest)) {
                    throw new IOException("chunk " + digest + " of an image is corrupt");
                  }
                  ByteBuffer b = ByteBuffer.wrap(data);
                  long at = offset;
                  while (b.hasRemaining()) {
                    at += out.write(b, at);
                  }
                  return null;
                }));
      }
      awaitAll(written, "fetching image " + stored.imageDigest());
      out.truncate(stored.sizeBytes());
      if (out.size() < stored.sizeBytes()) {
        out.write(ByteBuffer.wrap(new byte[1]), stored.sizeBytes() - 1);
      }
      out.force(true);
    }
    String sha = Digests.sha256(target);
    if (!sha.equals(stored.sha256())) {
      throw new IOException(
          "root image of "
              + stored.imageDigest()
              + " from storage has SHA-256 "
              + sha
              + ", not "
              + stored.sha256());
    }
  }

  /**
   * Starts writing the root image of {@code stored} into the new file {@code target} while it is
   * read ({@link RootImageFill}): each chunk checked on the way in, the whole file once complete.
   *
   * @param parallelism chunks fetched at once
   */
  public RootImageFill lazyFill(Stored stored, Path target, int parallelism) throws IOException {
    return RootImageFill.start(stored, target, reader, parallelism);
  }

  /**
   * What a garbage collection keeps of root images.
   *
   * @param referencedChunks the chunks the remaining records name (complete or not)
   * @param expired the keys of the records deleted
   */
  record Sweep(Set<String> referencedChunks, List<String> expired) {}

  /**
   * Deletes the records of images that {@code inUse} (image digests) does not name and that were
   * last written before {@code cutoff}; a record written since (an upload in progress among them)
   * stays. Their chunks are then garbage unless something else names them.
   */
  Sweep sweep(Set<String> inUse, Instant cutoff) throws IOException {
    Set<String> out = new HashSet<>();
    List<String> expired = new ArrayList<>();
    for (var o : objects.list(IMAGES)) {
      Optional<byte[]> json = objects.get(o.key());
      if (json.isEmpty()) {
        continue;
      }
      Stored s = parse(json.get(), o.key());
      if (!inUse.contains(s.imageDigest()) && o.lastModified().isBefore(cutoff)) {
        expired.add(o.key());
        continue;
      }
      for (String d : s.chunks().sha256()) {
        if (d != null) {
          out.add(d);
        }
      }
    }
    objects.delete(expired);
    return new Sweep(out, expired);
  }

  private static void awaitAll(List<Future<Void>> futures, String what) throws IOException {
    try {
      for (Future<Void> f : futures) {
        f.get();
      }
    } catch (InterruptedException e) {
      futures.forEach(f -> f.cancel(true));
      Thread.currentThread().interrupt();
      throw new IOException("interrupted " + what, e);
    } catch (ExecutionException e) {
      futures.forEach(f -> f.cancel(true));
      Throwable c = e.getCause();
      throw c instanceof IOException io ? io : new IOException(what + ": " + c, c);
    }
  }
}
