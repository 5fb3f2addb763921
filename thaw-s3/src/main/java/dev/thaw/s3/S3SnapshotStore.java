package dev.thaw.s3;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdDecompressCtx;
import com.github.luben.zstd.ZstdException;
import dev.thaw.core.concurrent.DaemonThreads;
import dev.thaw.core.io.Digests;
import dev.thaw.core.io.FileTrees;
import dev.thaw.core.snapshot.ChunkList;
import dev.thaw.core.snapshot.Chunker;
import dev.thaw.core.snapshot.PackIndex;
import dev.thaw.core.snapshot.SnapshotFile;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotManifestCodec;
import dev.thaw.core.snapshot.SnapshotMismatchException;
import dev.thaw.core.snapshot.SnapshotStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@link SnapshotStore} on S3 (AWS, MinIO, or the embedded server), with the AWS SDK v2.
 *
 * <p>Keys under the prefix:
 *
 * <ul>
 *   <li>{@code <revision>/manifest.json}: written last, deleted first;
 *   <li>{@code _chunks/<ab>/<sha256>}: one zstd frame per distinct chunk of every format-2
 *       snapshot, stored once (an existence check precedes each PUT);
 *   <li>{@code <revision>/_pack} and {@code _pack.json}: the revision's pack, a read-optimised copy
 *       of its chunks in file order, and where each lies in it (see {@link PackIndex});
 *   <li>{@code <revision>/<file>}: whole files of format-1 snapshots, downloaded as parallel ranged
 *       GETs (s3proxy does not serve {@code partNumber} GETs), zero ranges left as holes;
 *   <li>{@code _uploads/<revision>.<id>}: the manifest of an upload in progress, so that garbage
 *       collection spares the chunks it relies on;
 *   <li>{@code _used/<revision>}: touched at each restore, for collection by age;
 *   <li>{@code _gc.lock}: present while {@link #collectGarbage} runs.
 * </ul>
 *
 * Revision names never start with {@code _}, so these keys cannot collide with a revision's.
 */
public final class S3SnapshotStore implements SnapshotStore, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(S3SnapshotStore.class);
  private static final String CHUNKS = "_chunks/";
  private static final String UPLOADS = "_uploads/";
  private static final String USED = "_used/";
  private static final String UNUSABLE = "_unusable/";
  private static final String GC_LOCK = "_gc.lock";
  private static final String PACK = "_pack";
  private static final String PACK_INDEX = "_pack.json";
  private static final JsonMapper PACK_JSON = JsonMapper.builder().build();

  /** An upload record this old belongs to an uploader that died; collection drops it. */
  private static final Duration ABANDONED_UPLOAD = Duration.ofDays(1);

  private final S3Client s3;
  private final String bucket;
  private final String prefix;
  private final long rangeBytes;
  private final int parallelism;
  private final ExecutorService pool;
  private final String description;
  private final boolean wholeFiles;
  private final int compressionLevel;
  private final Duration lockTtl;
  private final LongAdder received = new LongAdder();
  private final S3Presigner presigner;
  private final RangeReader ranges;
  private final Queue<ZstdDecompressCtx> decoders = new ConcurrentLinkedQueue<>();
  private volatile Consumer<String> uploadHook = phase -> {};

  private S3SnapshotStore(Builder b) {
    S3ClientBuilder client =
        S3Client.builder()
            .region(Region.of(b.region))
            .credentialsProvider(b.credentials)
            .forcePathStyle(b.pathStyle)
            // Every payload is checked against its SHA-256 (chunks) or the manifest's (files):
            // the SDK's own CRCs would hash each byte a second time.
            .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
            .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
            .httpClient(UrlConnectionHttpClient.builder().build());
    if (b.endpoint != null) {
      client.endpointOverride(b.endpoint);
    }
    this.s3 = client.build();
    S3Presigner.Builder signer =
        S3Presigner.builder()
            .region(Region.of(b.region))
            .credentialsProvider(b.credentials)
            .serviceConfiguration(
                S3Configuration.builder().pathStyleAccessEnabled(b.pathStyle).build());
    if (b.endpoint != null) {
      signer.endpointOverride(b.endpoint);
    }
    this.presigner = signer.build();
    this.bucket = b.bucket;
    this.prefix = b.prefix;
    this.rangeBytes = b.rangeBytes;
    this.parallelism = b.parallelism;
    this.pool = Executors.newFixedThreadPool(b.parallelism, DaemonThreads.named("thaw-s3-range"));
    this.description =
        "s3://" + bucket + "/" + prefix + (b.endpoint == null ? "" : " at " + b.endpoint);
    this.wholeFiles = b.wholeFiles;
    this.compressionLevel = b.compressionLevel;
    this.lockTtl = b.lockTtl;
    this.ranges = new RangeReader(presigner, bucket, description);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Creates the bucket unless it exists. */
  public S3SnapshotStore ensureBucket() throws IOException {
    try {
      s3.headBucket(r -> r.bucket(bucket));
    } catch (software.amazon.awssdk.services.s3.model.NoSuchBucketException e) {
      try {
        s3.createBucket(r -> r.bucket(bucket));
      } catch (BucketAlreadyOwnedByYouException raced) {
        // Another node created it first.
      } catch (SdkException create) {
        throw new IOException(
            "cannot create bucket " + bucket + ": " + create.getMessage(), create);
      }
    } catch (SdkException e) {
      throw new IOException("cannot reach " + description + ": " + e.getMessage(), e);
    }
    return this;
  }

  private String key(String revision, String name) {
    return prefix + revision + "/" + name;
  }

  @Override
  public Optional<String> manifest(String revision) throws IOException {
    try {
      byte[] bytes =
          s3.getObjectAsBytes(r -> r.bucket(bucket).key(key(revision, SnapshotManifest.FILE_NAME)))
              .asByteArray();
      return Optional.of(new String(bytes, StandardCharsets.UTF_8));
    } catch (NoSuchKeyException e) {
      return Optional.empty();
    } catch (SdkException e) {
      throw new IOException("cannot read manifest of " + revision + " from " + description, e);
    }
  }

  /**
   * Fetches ranges in parallel (a window of {@code 2 × parallelism} in flight) and consumes them in
   * order: each range is hashed and written at its offset as it arrives, so the SHA-256 check needs
   * no second pass over the file. All-zero ranges are not written (holes).
   *
   * @throws SnapshotMismatchException when the content's SHA-256 differs from the manifest's
   */
  @Override
  public void download(String revision, SnapshotFile file, Path target) throws IOException {
    String key = key(revision, file.name());
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
          long to = Math.min(file.size(), next + rangeBytes) - 1;
          window.add(pool.submit(() -> fetchRange(key, from, to)));
          next = to + 1;
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
              "cannot download " + key + " from " + description + ": " + cause, cause);
    } finally {
      window.forEach(f -> f.cancel(true));
    }
    String actual = Digests.hex(sha);
    if (!actual.equals(file.sha256())) {
      throw new SnapshotMismatchException(
          key + " has sha256 " + actual + "; the manifest says " + file.sha256(), null);
    }
  }

  private byte[] fetchRange(String key, long from, long to) throws IOException {
    byte[] range = ranges.read(key, from, to);
    received.add(range.length);
    return range;
  }

  @Override
  public FetchedChunk chunk(String sha256, int length) throws IOException {
    byte[] stored;
    try {
      stored = s3.getObjectAsBytes(r -> r.bucket(bucket).key(chunkKey(sha256))).asByteArrayUnsafe();
    } catch (NoSuchKeyException e) {
      throw new IOException("chunk " + sha256 + " is missing from " + description, e);
    } catch (SdkException e) {
      throw new IOException(
          "cannot fetch chunk " + sha256 + " from " + description + ": " + e.getMessage(), e);
    }
    received.add(stored.length);
    byte[] data = new byte[length];
    long n;
    try {
      n = decode(data, stored, 0, stored.length);
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

  /** Bytes received from storage since this store was built (payloads only). */
  public long receivedBytes() {
    return received.sum();
  }

  private String chunkKey(String sha256) {
    return prefix + CHUNKS + sha256.substring(0, 2) + "/" + sha256;
  }

  /**
   * Uploads a snapshot. Format 2 (unless built with {@link Builder#wholeFiles}): records the
   * manifest under {@code _uploads/}, waits while a garbage collection holds its lock, sends the
   * chunks the store lacks (compressed, in parallel), writes the manifest, then drops the record.
   * Format 1: every whole file, then the manifest.
   */
  @Override
  public void upload(SnapshotManifest manifest, Path dir) throws IOException {
    if (!manifest.chunked()) {
      uploadWholeFiles(manifest, dir);
    } else if (wholeFiles) {
      uploadWholeFiles(manifest.asWholeFiles(f -> sha256Quietly(dir.resolve(f.name()))), dir);
    } else {
      uploadChunked(manifest, dir);
    }
  }

  private static String sha256Quietly(Path file) {
    try {
      return Digests.sha256(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void uploadWholeFiles(SnapshotManifest manifest, Path dir) throws IOException {
    try {
      for (SnapshotFile f : manifest.files()) {
        s3.putObject(
            r -> r.bucket(bucket).key(key(manifest.revision(), f.name())).contentLength(f.size()),
            RequestBody.fromFile(dir.resolve(f.name())));
      }
      putManifest(manifest);
    } catch (SdkException | UncheckedIOException e) {
      throw new IOException("cannot upload " + manifest.revision() + " to " + description, e);
    }
  }

  private void putManifest(SnapshotManifest manifest) {
    s3.putObject(
        r -> r.bucket(bucket).key(key(manifest.revision(), SnapshotManifest.FILE_NAME)),
        RequestBody.fromString(SnapshotManifestCodec.write(manifest), StandardCharsets.UTF_8));
  }

  private void uploadChunked(SnapshotManifest manifest, Path dir) throws IOException {
    String json = SnapshotManifestCodec.write(manifest);
    String pending = prefix + UPLOADS + manifest.revision() + "." + UUID.randomUUID();
    Path pack = Files.createTempFile("thaw-pack-", "");
    try {
      // The record comes first: a collection that starts after this point sees it.
      s3.putObject(r -> r.bucket(bucket).key(pending), RequestBody.fromString(json));
      awaitNoCollection();
      uploadHook.accept("chunks-checking");
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
      // The pack: every stored chunk again, in file order, written as the chunks complete.
      List<PackIndex.Entry> entries = new ArrayList<>();
      long at = 0;
      try (FileChannel out = FileChannel.open(pack, StandardOpenOption.WRITE)) {
        for (int i = 0; i < stored.size(); i++) {
          byte[] frame = await(stored.get(i), manifest.revision());
          ByteBuffer b = ByteBuffer.wrap(frame);
          while (b.hasRemaining()) {
            out.write(b);
          }
          entries.add(
              new PackIndex.Entry(
                  digests.get(i), at, frame.length, Digests.sha256(frame, 0, frame.length)));
          at += frame.length;
        }
      }
      uploadHook.accept("chunks-stored");
      s3.putObject(
          r -> r.bucket(bucket).key(key(manifest.revision(), PACK)), RequestBody.fromFile(pack));
      s3.putObject(
          r -> r.bucket(bucket).key(key(manifest.revision(), PACK_INDEX)),
          RequestBody.fromBytes(PACK_JSON.writeValueAsBytes(new PackIndex(entries))));
      putManifest(manifest);
      s3.deleteObject(r -> r.bucket(bucket).key(pending));
    } catch (SdkException e) {
      throw new IOException(
          "cannot upload " + manifest.revision() + " to " + description + ": " + e.getMessage(), e);
    } finally {
      Files.deleteIfExists(pack);
    }
  }

  /** Compresses one chunk, stores it unless the store has it, and returns the stored bytes. */
  private byte[] storeChunk(String digest, Path file, long offset, int length) throws IOException {
    byte[] content = new byte[length];
    try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
      FileTrees.readFully(in, content, length, offset);
    }
    byte[] stored = Zstd.compress(content, compressionLevel);
    String key = chunkKey(digest);
    try {
      s3.headObject(r -> r.bucket(bucket).key(key));
    } catch (NoSuchKeyException absent) {
      s3.putObject(r -> r.bucket(bucket).key(key), RequestBody.fromBytes(stored));
    }
    return stored;
  }

  @Override
  public Optional<PackIndex> packIndex(String revision) throws IOException {
    try {
      return read(key(revision, PACK_INDEX))
          .map(json -> PACK_JSON.readValue(json, PackIndex.class));
    } catch (SdkException e) {
      throw new IOException("cannot read the pack index of " + revision + ": " + e.getMessage(), e);
    } catch (tools.jackson.core.JacksonException e) {
      log.warn("ignoring the unreadable pack index of {}: {}", revision, e.getOriginalMessage());
      return Optional.empty();
    }
  }

  @Override
  public List<FetchedChunk> packChunks(
      String revision, List<PackIndex.Entry> run, List<Integer> lengths) throws IOException {
    long from = run.get(0).offset();
    long to = run.get(run.size() - 1).end();
    byte[] range = fetchRange(key(revision, PACK), from, to - 1);
    List<FetchedChunk> out = new ArrayList<>(run.size());
    for (int i = 0; i < run.size(); i++) {
      PackIndex.Entry e = run.get(i);
      int at = (int) (e.offset() - from);
      boolean intact =
          e.stored() == null || Digests.sha256(range, at, e.length()).equals(e.stored());
      byte[] data = new byte[intact ? lengths.get(i) : 0];
      try {
        if (intact && decode(data, range, at, e.length()) != data.length) {
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

  private <T> T await(Future<T> f, String what) throws IOException {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted uploading " + what, e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      throw new IOException(
          "cannot upload " + what + " to " + description + ": " + cause.getMessage(), cause);
    }
  }

  /** Blocks while a fresh garbage-collection lock exists; a lock older than its TTL is stale. */
  private void awaitNoCollection() throws IOException {
    while (true) {
      Optional<Instant> locked = lockedSince();
      if (locked.isEmpty()) {
        return;
      }
      if (locked.get().plus(lockTtl).isBefore(Instant.now())) {
        log.warn("ignoring a stale garbage-collection lock from {}", locked.get());
        return;
      }
      uploadHook.accept("waiting-for-gc");
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted waiting for garbage collection to finish", e);
      }
    }
  }

  private Optional<Instant> lockedSince() {
    try {
      return Optional.of(s3.headObject(r -> r.bucket(bucket).key(prefix + GC_LOCK)).lastModified());
    } catch (NoSuchKeyException e) {
      return Optional.empty();
    }
  }

  /** Test hook: called at the phases of a chunked upload. */
  void onUploadPhase(Consumer<String> hook) {
    this.uploadHook = hook;
  }

  @Override
  public void markUsed(String revision) throws IOException {
    try {
      s3.putObject(r -> r.bucket(bucket).key(prefix + USED + revision), RequestBody.empty());
    } catch (SdkException e) {
      throw new IOException("cannot mark " + revision + " used in " + description, e);
    }
  }

  /** Writes {@code _unusable/<revision>} holding the dead snapshot's creation time. */
  @Override
  public void markUnusable(String revision, Instant createdAt) throws IOException {
    try {
      s3.putObject(
          r -> r.bucket(bucket).key(prefix + UNUSABLE + revision),
          RequestBody.fromString(createdAt.toString(), StandardCharsets.UTF_8));
    } catch (SdkException e) {
      throw new IOException("cannot mark " + revision + " unusable in " + description, e);
    }
  }

  @Override
  public Optional<Instant> unusable(String revision) throws IOException {
    Optional<String> mark;
    try {
      mark = read(prefix + UNUSABLE + revision);
    } catch (SdkException e) {
      throw new IOException("cannot read the marks of " + revision + " in " + description, e);
    }
    try {
      return mark.map(String::strip).map(Instant::parse);
    } catch (java.time.format.DateTimeParseException e) {
      // A mark this code did not write: treat the revision's snapshot as usable.
      log.warn("ignoring an unreadable unusable-mark of {}: {}", revision, e.getMessage());
      return Optional.empty();
    }
  }

  @Override
  public List<String> revisions() throws IOException {
    return List.copyOf(manifestTimes().keySet());
  }

  /** Revisions with a manifest, sorted, with the time their manifest was written. */
  private java.util.SortedMap<String, Instant> manifestTimes() throws IOException {
    try {
      java.util.SortedMap<String, Instant> out = new java.util.TreeMap<>();
      for (var p :
          s3.listObjectsV2Paginator(r -> r.bucket(bucket).prefix(prefix).delimiter("/"))
              .commonPrefixes()) {
        String name = p.prefix().substring(prefix.length(), p.prefix().length() - 1);
        if (!name.startsWith("_")) {
          lastModified(key(name, SnapshotManifest.FILE_NAME)).ifPresent(t -> out.put(name, t));
        }
      }
      return out;
    } catch (SdkException e) {
      throw new IOException("cannot list " + description + ": " + e.getMessage(), e);
    }
  }

  private Optional<Instant> lastModified(String key) {
    try {
      return Optional.of(s3.headObject(r -> r.bucket(bucket).key(key)).lastModified());
    } catch (NoSuchKeyException e) {
      return Optional.empty();
    }
  }

  @Override
  public void delete(String revision) throws IOException {
    try {
      s3.deleteObject(r -> r.bucket(bucket).key(key(revision, SnapshotManifest.FILE_NAME)));
      for (S3Object o :
          s3.listObjectsV2Paginator(r -> r.bucket(bucket).prefix(prefix + revision + "/"))
              .contents()) {
        s3.deleteObject(r -> r.bucket(bucket).key(o.key()));
      }
      s3.deleteObject(r -> r.bucket(bucket).key(prefix + USED + revision));
      s3.deleteObject(r -> r.bucket(bucket).key(prefix + UNUSABLE + revision));
    } catch (SdkException e) {
      throw new IOException("cannot delete " + revision + " from " + description, e);
    }
  }

  /**
   * Removes revisions unused for {@code unusedFor} (null: none by age), then every chunk that no
   * manifest and no upload in progress references. Safe against concurrent uploads: it holds a lock
   * object that uploads wait on after recording their manifest, and reads those records after
   * taking it, so an upload's chunks are either seen as referenced or stored after the sweep.
   *
   * @param listener told of each phase, for progress
   * @throws IOException when another collection holds a fresh lock, or storage fails
   */
  public GcReport collectGarbage(Duration unusedFor, Consumer<String> listener) throws IOException {
    Optional<Instant> locked = lockedSince();
    if (locked.isPresent() && locked.get().plus(lockTtl).isAfter(Instant.now())) {
      throw new IOException(
          "another garbage collection holds " + prefix + GC_LOCK + " since " + locked.get());
    }
    try {
      s3.putObject(
          r -> r.bucket(bucket).key(prefix + GC_LOCK),
          RequestBody.fromString("{\"startedAt\":\"" + Instant.now() + "\"}"));
      listener.accept("locked");
      List<String> expired = new ArrayList<>();
      if (unusedFor != null) {
        Instant cutoff = Instant.now().minus(unusedFor);
        for (var written : manifestTimes().entrySet()) {
          String revision = written.getKey();
          Instant used =
              lastModified(prefix + USED + revision)
                  .filter(t -> t.isAfter(written.getValue()))
                  .orElse(written.getValue());
          if (used.isBefore(cutoff)) {
            delete(revision);
            expired.add(revision);
          }
        }
      }
      listener.accept("expired " + expired.size() + " revisions");
      Set<String> referenced = new HashSet<>();
      int uploads = 0;
      for (S3Object o : list(prefix + UPLOADS)) {
        if (o.lastModified().plus(ABANDONED_UPLOAD).isBefore(Instant.now())) {
          s3.deleteObject(r -> r.bucket(bucket).key(o.key()));
          continue;
        }
        Optional<String> json = read(o.key());
        if (json.isPresent()) {
          uploads++;
          referenced.addAll(SnapshotManifestCodec.parse(json.get()).chunks().keySet());
        }
        // A record gone since the listing means its manifest is written: read below.
      }
      listener.accept("read " + uploads + " uploads in progress");
      List<String> revisions = revisions();
      for (String revision : revisions) {
        Optional<String> json = manifest(revision);
        if (json.isPresent()) {
          referenced.addAll(SnapshotManifestCodec.parse(json.get()).chunks().keySet());
        }
      }
      listener.accept(
          "read " + revisions.size() + " manifests: " + referenced.size() + " chunks referenced");
      int kept = 0;
      int deleted = 0;
      long freed = 0;
      for (S3Object o : list(prefix + CHUNKS)) {
        String digest = o.key().substring(o.key().lastIndexOf('/') + 1);
        if (referenced.contains(digest)) {
          kept++;
        } else {
          s3.deleteObject(r -> r.bucket(bucket).key(o.key()));
          deleted++;
          freed += o.size();
        }
      }
      listener.accept("deleted " + deleted + " chunks");
      return new GcReport(expired, deleted, kept, freed);
    } catch (SdkException e) {
      throw new IOException(
          "garbage collection of " + description + " failed: " + e.getMessage(), e);
    } finally {
      try {
        s3.deleteObject(r -> r.bucket(bucket).key(prefix + GC_LOCK));
      } catch (SdkException e) {
        log.warn("cannot remove the garbage-collection lock: {}", e.getMessage());
      }
    }
  }

  /**
   * What a garbage collection did.
   *
   * @param expiredRevisions revisions deleted for being unused too long
   * @param chunksDeleted chunks no manifest referenced
   * @param chunksKept chunks still referenced
   * @param bytesFreed stored bytes of the deleted chunks
   */
  public record GcReport(
      List<String> expiredRevisions, int chunksDeleted, int chunksKept, long bytesFreed) {}

  private Iterable<S3Object> list(String keyPrefix) {
    return s3.listObjectsV2Paginator(r -> r.bucket(bucket).prefix(keyPrefix)).contents();
  }

  private Optional<String> read(String key) {
    try {
      return Optional.of(
          s3.getObjectAsBytes(r -> r.bucket(bucket).key(key)).asString(StandardCharsets.UTF_8));
    } catch (NoSuchKeyException e) {
      return Optional.empty();
    }
  }

  @Override
  public String describe() {
    return description;
  }

  /**
   * Decodes one frame with a pooled decoder: a fresh one per call (what {@code Zstd}'s static
   * methods do) costs a sixth of the decoding time of a 64 KiB chunk.
   *
   * @return the number of bytes decoded
   * @throws ZstdException when the frame is not valid
   */
  private long decode(byte[] into, byte[] from, int offset, int length) {
    ZstdDecompressCtx ctx = decoders.poll();
    if (ctx == null) {
      ctx = new ZstdDecompressCtx();
    }
    long n;
    try {
      n = ctx.decompressByteArray(into, 0, into.length, from, offset, length);
    } catch (RuntimeException e) {
      ctx.close(); // not reused after a failure
      throw e;
    }
    decoders.add(ctx);
    return n;
  }

  @Override
  public void close() {
    pool.shutdownNow();
    s3.close();
    presigner.close();
    for (ZstdDecompressCtx ctx; (ctx = decoders.poll()) != null; ) {
      ctx.close();
    }
  }

  /**
   * Builder. Credentials default to the SDK's provider chain (environment, profile, container or
   * instance role): they never come from a command line and are never logged.
   */
  public static final class Builder {
    private URI endpoint;
    private String region = "us-east-1";
    private String bucket = "thaw-snapshots";
    private String prefix = "";
    private boolean pathStyle = true;
    private AwsCredentialsProvider credentials;
    private long rangeBytes = 8L << 20;
    private int parallelism = 8;
    private boolean wholeFiles;
    private int compressionLevel = 3;
    private Duration lockTtl = Duration.ofMinutes(15);

    private Builder() {}

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

    /** S3-compatible endpoint (MinIO, the embedded server); unset for AWS itself. */
    public Builder endpoint(URI endpoint) {
      this.endpoint = endpoint;
      return this;
    }

    public Builder region(String region) {
      this.region = Objects.requireNonNull(region);
      return this;
    }

    public Builder bucket(String bucket) {
      this.bucket = Objects.requireNonNull(bucket);
      return this;
    }

    /** Key prefix, e.g. {@code "prod/"}; empty by default. */
    public Builder prefix(String prefix) {
      this.prefix = Objects.requireNonNull(prefix);
      return this;
    }

    /** Path-style addressing (MinIO and s3proxy need it); on by default. */
    public Builder pathStyle(boolean pathStyle) {
      this.pathStyle = pathStyle;
      return this;
    }

    /** The embedded server in this process: its endpoint and credentials, path-style. */
    public Builder server(EmbeddedS3Server server) {
      return endpoint(server.endpoint()).credentials(server.credentials()).pathStyle(true);
    }

    public Builder credentials(AwsCredentialsProvider credentials) {
      this.credentials = Objects.requireNonNull(credentials);
      return this;
    }

    /** Size of one ranged GET; default 8 MiB. */
    public Builder rangeBytes(long rangeBytes) {
      if (rangeBytes < 1 << 16 || rangeBytes > 1L << 30) {
        throw new IllegalArgumentException("rangeBytes must be within 64 KiB..1 GiB");
      }
      this.rangeBytes = rangeBytes;
      return this;
    }

    /** Ranged GETs in flight at once; default 8. */
    public Builder parallelism(int parallelism) {
      if (parallelism < 1 || parallelism > 64) {
        throw new IllegalArgumentException("parallelism must be within 1..64");
      }
      this.parallelism = parallelism;
      return this;
    }

    public S3SnapshotStore build() {
      if (credentials == null) {
        credentials = DefaultCredentialsProvider.builder().build();
      }
      return new S3SnapshotStore(this);
    }
  }
}
