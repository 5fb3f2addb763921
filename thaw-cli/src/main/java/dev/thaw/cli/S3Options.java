package dev.thaw.cli;

import dev.thaw.s3.EmbeddedS3Server;
import dev.thaw.s3.S3SnapshotStore;
import java.net.URI;
import java.nio.file.Path;
import picocli.CommandLine.Option;

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
   * The store plus, when no endpoint is configured, the embedded server behind it.
   *
   * @param builders fresh builders for more stores on the same storage (another prefix, say)
   */
  record Remote(
      S3SnapshotStore store,
      EmbeddedS3Server server,
      java.util.function.Supplier<S3SnapshotStore.Builder> builders)
      implements AutoCloseable {
    @Override
    public void close() throws Exception {
      store.close();
      if (server != null) {
        server.close();
      }
    }
  }

  Remote open(Path dataDir) throws Exception {
    EmbeddedS3Server server =
        endpoint == null ? EmbeddedS3Server.start(dataDir.resolve("s3")) : null;
    java.util.function.Supplier<S3SnapshotStore.Builder> builders =
        () -> {
          S3SnapshotStore.Builder b =
              S3SnapshotStore.builder()
                  .region(region)
                  .bucket(bucket)
                  .prefix(prefix)
                  .pathStyle(!virtualHosted);
          return server == null ? b.endpoint(endpoint) : b.server(server);
        };
    try {
      return new Remote(builders.get().build().ensureBucket(), server, builders);
    } catch (Exception e) {
      if (server != null) {
        server.close();
      }
      throw e;
    }
  }
}
