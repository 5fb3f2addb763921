package dev.thaw.cli;

import dev.thaw.node.remote.RemoteSnapshotStore;
import dev.thaw.s3.EmbeddedS3Server;
import dev.thaw.s3.S3ObjectStore;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.function.BiFunction;
import picocli.CommandLine.Option;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;

/**
 * Remote snapshot storage. Without an endpoint Thaw starts its embedded S3 server on 127.0.0.1,
 * storing under the data directory. Credentials come from the AWS SDK's default chain
 * (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile, or a role), never from flags.
 */
final class S3Options {
  @Option(
      names = "--s3-endpoint",
      defaultValue = "${env:THAW_S3_ENDPOINT}",
      description = "S3-compatible endpoint, e.g. http://minio:9000 (default: embedded server).")
  URI endpoint;

  @Option(
      names = "--s3-region",
      defaultValue = "${env:THAW_S3_REGION:-us-east-1}",
      description = "Region (default: ${DEFAULT-VALUE}).")
  String region;

  @Option(
      names = "--s3-bucket",
      defaultValue = "${env:THAW_S3_BUCKET:-thaw-snapshots}",
      description = "Bucket, created if missing (default: ${DEFAULT-VALUE}).")
  String bucket;

  @Option(
      names = "--s3-prefix",
      defaultValue = "${env:THAW_S3_PREFIX:-}",
      description = "Key prefix inside the bucket (default: none).")
  String prefix;

  @Option(
      names = "--s3-virtual-hosted",
      description = "Virtual-hosted-style addressing (AWS); path style is the default (MinIO).")
  boolean virtualHosted;

  /**
   * Remote snapshot storage opened from these options: the store, and the embedded server behind it
   * when no endpoint is configured. Closing it closes the store, then the server.
   */
  static final class Remote implements AutoCloseable {
    private final RemoteSnapshotStore store;
    private final EmbeddedS3Server server;
    private final URI endpoint;
    private final AwsCredentialsProvider credentials;
    private final BiFunction<URI, String, S3ObjectStore> objectStores;

    private Remote(
        EmbeddedS3Server server,
        URI endpoint,
        AwsCredentialsProvider credentials,
        BiFunction<URI, String, S3ObjectStore> objectStores)
        throws IOException {
      this.server = server;
      this.endpoint = endpoint;
      this.credentials = credentials;
      this.objectStores = objectStores;
      S3ObjectStore objects = objectStores.apply(endpoint, "");
      try {
        this.store = RemoteSnapshotStore.builder(objects.ensureBucket()).build();
      } catch (IOException | RuntimeException e) {
        objects.close();
        throw e;
      }
    }

    /** The snapshot store. */
    RemoteSnapshotStore store() {
      return store;
    }

    /**
     * A builder of another snapshot store on the same bucket, under {@code subPrefix} of the
     * configured key prefix; the caller closes what it builds.
     */
    RemoteSnapshotStore.Builder storeUnder(String subPrefix) {
      return storeUnder(subPrefix, endpoint);
    }

    /**
     * Like {@link #storeUnder(String)}, reaching the storage at {@code via} (a proxy's address).
     */
    RemoteSnapshotStore.Builder storeUnder(String subPrefix, URI via) {
      return RemoteSnapshotStore.builder(objectStores.apply(via, subPrefix));
    }

    /** The S3 endpoint: the embedded server's, or the configured one (null: AWS itself). */
    URI endpoint() {
      return endpoint;
    }

    /** The credentials the storage accepts, for processes started on this machine. */
    AwsCredentials credentials() {
      return credentials.resolveCredentials();
    }

    @Override
    public void close() throws Exception {
      store.close();
      if (server != null) {
        server.close();
      }
    }
  }

  /**
   * Opens the storage the options name; with no endpoint, starts the embedded server on {@code
   * dataDir/s3}. The bucket is created if missing.
   */
  Remote open(Path dataDir) throws Exception {
    EmbeddedS3Server server =
        endpoint == null ? EmbeddedS3Server.start(dataDir.resolve("s3")) : null;
    try {
      AwsCredentialsProvider credentials =
          server == null ? DefaultCredentialsProvider.builder().build() : server.credentials();
      URI at = server == null ? endpoint : server.endpoint();
      return new Remote(
          server,
          at,
          credentials,
          (via, sub) ->
              S3ObjectStore.builder()
                  .endpoint(via)
                  .credentials(credentials)
                  .region(region)
                  .bucket(bucket)
                  .prefix(prefix + sub)
                  .pathStyle(server != null || !virtualHosted)
                  .build());
    } catch (Exception e) {
      if (server != null) {
        server.close();
      }
      throw e;
    }
  }

  /**
   * Starts the embedded S3 server storing under {@code dir}, with the default bucket, for a run on
   * this machine alone (demos, benchmarks).
   */
  static Remote embedded(Path dir) throws Exception {
    EmbeddedS3Server server = EmbeddedS3Server.start(dir);
    try {
      return new Remote(
          server,
          server.endpoint(),
          server.credentials(),
          (via, sub) -> S3ObjectStore.builder().server(server).endpoint(via).prefix(sub).build());
    } catch (Exception e) {
      server.close();
      throw e;
    }
  }
}
