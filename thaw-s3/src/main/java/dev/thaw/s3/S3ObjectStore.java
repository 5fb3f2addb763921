package dev.thaw.s3;

import dev.thaw.core.store.ObjectStore;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
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
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/**
 * {@link ObjectStore} on S3 (AWS, MinIO, or the embedded server), with the AWS SDK v2 and the JDK's
 * HTTP client. The store's keys live under a key prefix of one bucket. Reads, a remote restore's
 * traffic, go through presigned URLs ({@link PresignedReader}).
 *
 * <p>Credentials default to the SDK's provider chain (environment, profile, container or instance
 * role): they never come from a command line and never appear in {@link #describe()} or messages.
 */
public final class S3ObjectStore implements ObjectStore {
  /** DeleteObjects takes at most this many keys per request. */
  private static final int DELETE_BATCH = 1000;

  private final S3Client s3;
  private final S3Presigner presigner;
  private final String bucket;
  private final String prefix;
  private final String description;
  private final PresignedReader reader;

  private S3ObjectStore(Builder b) {
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
    S3Presigner.Builder signer =
        S3Presigner.builder()
            .region(Region.of(b.region))
            .credentialsProvider(b.credentials)
            .serviceConfiguration(
                S3Configuration.builder().pathStyleAccessEnabled(b.pathStyle).build());
    if (b.endpoint != null) {
      client.endpointOverride(b.endpoint);
      signer.endpointOverride(b.endpoint);
    }
    this.s3 = client.build();
    this.presigner = signer.build();
    this.bucket = b.bucket;
    this.prefix = b.prefix;
    this.description =
        "s3://" + bucket + "/" + prefix + (b.endpoint == null ? "" : " at " + b.endpoint);
    this.reader = new PresignedReader(presigner, bucket, description);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Creates the bucket unless it exists. */
  public S3ObjectStore ensureBucket() throws IOException {
    try {
      s3.headBucket(r -> r.bucket(bucket));
    } catch (NoSuchBucketException e) {
      try {
        s3.createBucket(r -> r.bucket(bucket));
      } catch (BucketAlreadyOwnedByYouException raced) {
        // Another node created it first.
      } catch (SdkException create) {
        throw new IOException(
            "cannot create bucket " + bucket + ": " + create.getMessage(), create);
      }
    } catch (SdkException e) {
      throw failure("reach", "", e);
    }
    return this;
  }

  @Override
  public Optional<byte[]> get(String key) throws IOException {
    return reader.readAll(prefix + key);
  }

  @Override
  public Optional<ByteBuffer> getDirect(String key) throws IOException {
    return reader.readAllDirect(prefix + key);
  }

  @Override
  public byte[] getRange(String key, long offset, int length) throws IOException {
    if (length == 0) {
      return new byte[0];
    }
    return reader.read(prefix + key, offset, offset + length - 1);
  }

  @Override
  public Optional<ObjectInfo> head(String key) throws IOException {
    try {
      var head = s3.headObject(r -> r.bucket(bucket).key(prefix + key));
      return Optional.of(new ObjectInfo(key, head.contentLength(), head.lastModified()));
    } catch (NoSuchKeyException e) {
      return Optional.empty();
    } catch (SdkException e) {
      throw failure("inspect", key, e);
    }
  }

  @Override
  public void put(String key, byte[] content) throws IOException {
    try {
      s3.putObject(r -> r.bucket(bucket).key(prefix + key), RequestBody.fromBytes(content));
    } catch (SdkException e) {
      throw failure("write", key, e);
    }
  }

  @Override
  public void put(String key, Path file) throws IOException {
    try {
      s3.putObject(r -> r.bucket(bucket).key(prefix + key), RequestBody.fromFile(file));
    } catch (SdkException | java.io.UncheckedIOException e) {
      throw failure("write", key, e);
    }
  }

  @Override
  public List<ObjectInfo> list(String keyPrefix) throws IOException {
    try {
      List<ObjectInfo> out = new ArrayList<>();
      for (S3Object o :
          s3.listObjectsV2Paginator(r -> r.bucket(bucket).prefix(prefix + keyPrefix)).contents()) {
        out.add(new ObjectInfo(o.key().substring(prefix.length()), o.size(), o.lastModified()));
      }
      return out;
    } catch (SdkException e) {
      throw failure("list", keyPrefix, e);
    }
  }

  @Override
  public List<String> listFolders(String keyPrefix) throws IOException {
    try {
      List<String> out = new ArrayList<>();
      String under = prefix + keyPrefix;
      for (CommonPrefix p :
          s3.listObjectsV2Paginator(r -> r.bucket(bucket).prefix(under).delimiter("/"))
              .commonPrefixes()) {
        out.add(p.prefix().substring(under.length(), p.prefix().length() - 1));
      }
      return out;
    } catch (SdkException e) {
      throw failure("list", keyPrefix, e);
    }
  }

  @Override
  public void delete(String key) throws IOException {
    try {
      s3.deleteObject(r -> r.bucket(bucket).key(prefix + key));
    } catch (SdkException e) {
      throw failure("delete", key, e);
    }
  }

  @Override
  public void delete(Collection<String> keys) throws IOException {
    List<ObjectIdentifier> all =
        keys.stream().map(k -> ObjectIdentifier.builder().key(prefix + k).build()).toList();
    for (int from = 0; from < all.size(); from += DELETE_BATCH) {
      List<ObjectIdentifier> batch = all.subList(from, Math.min(all.size(), from + DELETE_BATCH));
      DeleteObjectsResponse response;
      try {
        response =
            s3.deleteObjects(r -> r.bucket(bucket).delete(d -> d.objects(batch).quiet(true)));
      } catch (SdkException e) {
        throw failure("delete", batch.size() + " objects, e.g. " + batch.get(0).key(), e);
      }
      if (response.hasErrors() && !response.errors().isEmpty()) {
        var first = response.errors().get(0);
        throw new IOException(
            String.format(
                "cannot delete %d objects from %s, e.g. %s: %s %s",
                response.errors().size(), description, first.key(), first.code(), first.message()));
      }
    }
  }

  private IOException failure(String what, String key, Exception e) {
    String where = key.isEmpty() ? description : key + " in " + description;
    return new IOException("cannot " + what + " " + where + ": " + e.getMessage(), e);
  }

  @Override
  public String describe() {
    return description;
  }

  @Override
  public void close() {
    s3.close();
    presigner.close();
  }

  /**
   * Builder. Credentials default to the SDK's provider chain; path-style addressing is on by
   * default.
   */
  public static final class Builder {
    private URI endpoint;
    private String region = "us-east-1";
    private String bucket = "thaw-snapshots";
    private String prefix = "";
    private boolean pathStyle = true;
    private AwsCredentialsProvider credentials;

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

    /** Key prefix, e.g. {@code "prod/"}, under which every key of the store lies; empty default. */
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

    public S3ObjectStore build() {
      if (credentials == null) {
        credentials = DefaultCredentialsProvider.builder().build();
      }
      return new S3ObjectStore(this);
    }
  }
}
