package dev.thaw.s3;

import dev.thaw.core.io.Digests;
import dev.thaw.core.snapshot.SnapshotFile;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotManifestCodec;
import dev.thaw.core.snapshot.SnapshotMismatchException;
import dev.thaw.core.snapshot.SnapshotStore;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * {@link SnapshotStore} on S3 (AWS, MinIO, or the embedded server), with the AWS SDK v2.
 *
 * <p>Keys: {@code <prefix><revision>/<file>}. Uploads write every payload, then the manifest;
 * deletes remove the manifest first. Large files download as parallel ranged GETs written at their
 * offsets (s3proxy does not serve {@code partNumber} GETs); ranges that are all zeros are not
 * written, so a sparse memory file stays sparse.
 */
public final class S3SnapshotStore implements SnapshotStore, AutoCloseable {
  private final S3Client s3;
  private final String bucket;
  private final String prefix;
  private final long rangeBytes;
  private final int parallelism;
  private final ExecutorService pool;
  private final String description;

  private S3SnapshotStore(Builder b) {
    S3ClientBuilder client =
        S3Client.builder()
            .region(Region.of(b.region))
            .credentialsProvider(b.credentials)
            .forcePathStyle(b.pathStyle)
            .httpClient(UrlConnectionHttpClient.builder().build());
    if (b.endpoint != null) {
      client.endpointOverride(b.endpoint);
    }
    this.s3 = client.build();
    this.bucket = b.bucket;
    this.prefix = b.prefix;
    this.rangeBytes = b.rangeBytes;
    this.parallelism = b.parallelism;
    this.pool =
        Executors.newFixedThreadPool(
            b.parallelism,
            r -> {
              Thread t = new Thread(r, "thaw-s3-range");
              t.setDaemon(true);
              return t;
            });
    this.description =
        "s3://" + bucket + "/" + prefix + (b.endpoint == null ? "" : " at " + b.endpoint);
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
        if (!allZero(range)) {
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
    byte[] buffer = new byte[(int) (to - from + 1)];
    try (InputStream in =
        s3.getObject(r -> r.bucket(bucket).key(key).range("bytes=" + from + "-" + to))) {
      int n = in.readNBytes(buffer, 0, buffer.length);
      if (n != buffer.length) {
        throw new IOException(
            key + " is shorter than its manifest says (range " + from + "-" + to + ")");
      }
    } catch (SdkException e) {
      throw new IOException(
          "cannot download " + key + " from " + description + ": " + e.getMessage(), e);
    }
    return buffer;
  }

  private static boolean allZero(byte[] b) {
    for (byte x : b) {
      if (x != 0) {
        return false;
      }
    }
    return true;
  }

  @Override
  public void upload(SnapshotManifest manifest, Path dir) throws IOException {
    try {
      for (SnapshotFile f : manifest.files()) {
        s3.putObject(
            r -> r.bucket(bucket).key(key(manifest.revision(), f.name())).contentLength(f.size()),
            RequestBody.fromFile(dir.resolve(f.name())));
      }
      s3.putObject(
          r -> r.bucket(bucket).key(key(manifest.revision(), SnapshotManifest.FILE_NAME)),
          RequestBody.fromString(SnapshotManifestCodec.write(manifest), StandardCharsets.UTF_8));
    } catch (SdkException e) {
      throw new IOException("cannot upload " + manifest.revision() + " to " + description, e);
    }
  }

  @Override
  public List<String> revisions() throws IOException {
    String suffix = "/" + SnapshotManifest.FILE_NAME;
    try {
      return s3.listObjectsV2Paginator(r -> r.bucket(bucket).prefix(prefix)).contents().stream()
          .map(S3Object::key)
          .filter(k -> k.endsWith(suffix))
          .map(k -> k.substring(prefix.length(), k.length() - suffix.length()))
          .sorted()
          .toList();
    } catch (SdkException e) {
      throw new IOException("cannot list " + description + ": " + e.getMessage(), e);
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
    } catch (SdkException e) {
      throw new IOException("cannot delete " + revision + " from " + description, e);
    }
  }

  @Override
  public String describe() {
    return description;
  }

  @Override
  public void close() {
    pool.shutdownNow();
    s3.close();
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

    private Builder() {}

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
