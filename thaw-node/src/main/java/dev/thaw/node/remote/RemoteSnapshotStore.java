package dev.thaw.node.remote;

import dev.thaw.core.concurrent.DaemonThreads;
import dev.thaw.core.io.Digests;
import dev.thaw.core.snapshot.GcReport;
import dev.thaw.core.snapshot.PackIndex;
import dev.thaw.core.snapshot.SnapshotCollector;
import dev.thaw.core.snapshot.SnapshotFile;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotStore;
import dev.thaw.core.store.ObjectStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Remote snapshot storage on any {@link ObjectStore}, in the key layout of {@link RemoteKeys}:
 * format-2 snapshots as content-addressed chunks stored once for the whole store plus a pack per
 * revision, format-1 snapshots as whole files, and the records that garbage collection and the
 * nodes' dead-snapshot checks rely on.
 *
 * <p>Closing the store closes its object store.
 */
public final class RemoteSnapshotStore implements SnapshotStore, SnapshotCollector, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RemoteSnapshotStore.class);

  private final ObjectStore objects;
  private final boolean wholeFiles;
  private final ExecutorService pool;
  private final LongAdder received = new LongAdder();
  private final ChunkCodec codec;
  private final ChunkReader chunks;
  private final WholeFiles files;
  private final ChunkedUpload uploads;
  private final Revisions revisions;
  private final GarbageCollector collector;
  private final RemoteRootImages rootImages;
  private volatile Consumer<String> uploadHook = phase -> {};

  private RemoteSnapshotStore(Builder b) {
    this.objects = b.objects;
    this.wholeFiles = b.wholeFiles;
    this.pool = Executors.newFixedThreadPool(b.parallelism, DaemonThreads.named("thaw-remote-io"));
    this.codec = new ChunkCodec(b.compressionLevel);
    this.chunks = new ChunkReader(objects, codec, received);
    this.files = new WholeFiles(objects, pool, b.parallelism, b.rangeBytes, received);
    GcLock lock = new GcLock(objects, b.clock, b.lockTtl, b.lockPoll);
    this.uploads = new ChunkedUpload(objects, codec, pool, lock);
    this.revisions = new Revisions(objects);
    this.rootImages = new RemoteRootImages(objects, codec, chunks, lock, pool);
    this.collector = new GarbageCollector(objects, revisions, lock, b.clock, rootImages);
  }

  /** A builder of a store on {@code objects}. */
  public static Builder builder(ObjectStore objects) {
    return new Builder(objects);
  }

  @Override
  public Optional<String> manifest(String revision) throws IOException {
    return revisions.manifest(revision);
  }

  @Override
  public Optional<String> manifestSha256(String revision) throws IOException {
    return revisions.manifestSha256(revision);
  }

  @Override
  public void download(String revision, SnapshotFile file, Path target) throws IOException {
    files.download(revision, file, target);
  }

  @Override
  public FetchedChunk chunk(String sha256, int length) throws IOException {
    return chunks.chunk(sha256, length);
  }

  @Override
  public Optional<FetchedPages> workingPages(String revision, long maxLength) throws IOException {
    return chunks.workingPages(revision, maxLength);
  }

  @Override
  public Optional<PackIndex> packIndex(String revision) throws IOException {
    return chunks.packIndex(revision);
  }

  @Override
  public List<FetchedChunk> packChunks(
      String revision, List<PackIndex.Entry> run, List<Integer> lengths) throws IOException {
    return chunks.packChunks(revision, run, lengths);
  }

  /** Root filesystem images kept beside the snapshots, sharing their chunks. */
  public RemoteRootImages rootImages() {
    return rootImages;
  }

  /** Bytes received from storage since this store was built (payloads only). */
  public long receivedBytes() {
    return received.sum();
  }

  /**
   * Uploads a snapshot. Format 2 (unless built with {@link Builder#wholeFiles}): see {@link
   * ChunkedUpload}. Format 1: every whole file, then the manifest.
   */
  @Override
  public void upload(String name, SnapshotManifest manifest, Path dir) throws IOException {
    try {
      if (!manifest.chunked()) {
        files.upload(name, manifest, dir);
      } else if (wholeFiles) {
        files.upload(name, manifest.asWholeFiles(f -> sha256Quietly(dir.resolve(f.name()))), dir);
      } else {
        uploads.upload(name, manifest, dir, uploadHook);
      }
    } catch (UncheckedIOException e) {
      throw new IOException(
          "cannot upload " + name + " to " + describe() + ": " + e.getMessage(), e.getCause());
    }
  }

  private static String sha256Quietly(Path file) {
    try {
      return Digests.sha256(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Test hook: told the phases of each chunked upload ({@code "waiting-for-gc"}, {@code
   * "chunks-checking"}, {@code "chunks-stored"}) on the uploading thread, which it may hold.
   */
  void onUploadPhase(Consumer<String> hook) {
    this.uploadHook = Objects.requireNonNull(hook);
  }

  /** Touches {@code _used/<revision>}. */
  @Override
  public void markUsed(String revision) throws IOException {
    objects.put(RemoteKeys.used(revision), new byte[0]);
  }

  /** Writes {@code _unusable/<revision>} holding the dead snapshot's creation time. */
  @Override
  public void markUnusable(String revision, Instant createdAt) throws IOException {
    objects.put(
        RemoteKeys.unusable(revision), createdAt.toString().getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public Optional<Instant> unusable(String revision) throws IOException {
    Optional<String> mark =
        objects.get(RemoteKeys.unusable(revision)).map(b -> new String(b, StandardCharsets.UTF_8));
    try {
      return mark.map(String::strip).map(Instant::parse);
    } catch (DateTimeParseException e) {
      // A mark this code did not write: treat the revision's snapshot as usable.
      log.warn("ignoring an unreadable unusable-mark of {}: {}", revision, e.getMessage());
      return Optional.empty();
    }
  }

  @Override
  public List<String> revisions() throws IOException {
    return List.copyOf(revisions.manifestTimes().keySet());
  }

  @Override
  public void delete(String revision) throws IOException {
    revisions.delete(revision);
  }

  /** See {@link GarbageCollector}. */
  @Override
  public GcReport collectGarbage(Duration unusedFor, Consumer<String> progress) throws IOException {
    return collector.collectGarbage(unusedFor, progress);
  }

  @Override
  public String describe() {
    return objects.describe();
  }

  @Override
  public void close() {
    pool.shutdownNow();
    codec.close();
    objects.close();
  }

  /** Builder; every setting but the object store has a default. */
  public static final class Builder {
    private final ObjectStore objects;
    private Clock clock = Clock.systemUTC();
    private long rangeBytes = 8L << 20;
    private int parallelism = 8;
    private boolean wholeFiles;
    private int compressionLevel = 3;
    private Duration lockTtl = Duration.ofMinutes(15);
    private Duration lockPoll = Duration.ofMillis(100);

    private Builder(ObjectStore objects) {
      this.objects = Objects.requireNonNull(objects, "objects");
    }

    /**
     * Uploads format-1 whole files instead of chunks (for comparison and for readers that predate
     * chunks); off by default.
     */
    public Builder wholeFiles(boolean wholeFiles) {
      this.wholeFiles = wholeFiles;
      return this;
    }

    /** zstd level of uploaded chunks, 1..19; default 3. */
    public Builder compressionLevel(int level) {
      if (level < 1 || level > 19) {
        throw new IllegalArgumentException("compression level must be within 1..19");
      }
      this.compressionLevel = level;
      return this;
    }

    /**
     * How long a garbage-collection lock holds before uploads and collections treat it as left by a
     * crash; default 15 minutes.
     */
    public Builder lockTtl(Duration lockTtl) {
      this.lockTtl = Objects.requireNonNull(lockTtl);
      return this;
    }

    /** How often an upload waiting for a collection checks its lock; default 100 ms. */
    public Builder lockPoll(Duration lockPoll) {
      this.lockPoll = Objects.requireNonNull(lockPoll);
      return this;
    }

    /**
     * The clock that ages locks, upload records and revisions against the storage's modification
     * times; the system clock by default.
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock);
      return this;
    }

    /** Size of one ranged read of a whole file; default 8 MiB. */
    public Builder rangeBytes(long rangeBytes) {
      if (rangeBytes < 1 << 16 || rangeBytes > 1L << 30) {
        throw new IllegalArgumentException("rangeBytes must be within 64 KiB..1 GiB");
      }
      this.rangeBytes = rangeBytes;
      return this;
    }

    /** Ranged reads and chunk uploads in flight at once; default 8. */
    public Builder parallelism(int parallelism) {
      if (parallelism < 1 || parallelism > 64) {
        throw new IllegalArgumentException("parallelism must be within 1..64");
      }
      this.parallelism = parallelism;
      return this;
    }

    public RemoteSnapshotStore build() {
      return new RemoteSnapshotStore(this);
    }
  }
}
