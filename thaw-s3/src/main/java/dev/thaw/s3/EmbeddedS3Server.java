package dev.thaw.s3;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * An S3-compatible server inside this JVM (s3proxy with its filesystem blob store), listening on
 * 127.0.0.1 only: Thaw's remote storage when no endpoint is configured. Its credentials are random
 * per start and never leave the process.
 */
public final class EmbeddedS3Server implements AutoCloseable {
  private final S3Proxy proxy;
  private final AwsCredentialsProvider credentials;

  private EmbeddedS3Server(S3Proxy proxy, AwsCredentialsProvider credentials) {
    this.proxy = proxy;
    this.credentials = credentials;
  }

  /** Starts a server storing buckets as directories under {@code dataDir}, on a free port. */
  public static EmbeddedS3Server start(Path dataDir) throws Exception {
    return start(dataDir, 0);
  }

  /** Like {@link #start(Path)} on a given port (0: any free one). */
  public static EmbeddedS3Server start(Path dataDir, int port) throws Exception {
    Files.createDirectories(dataDir);
    SecureRandom random = new SecureRandom();
    String identity = "thaw-" + HexFormat.of().formatHex(random.generateSeed(6));
    String secret = HexFormat.of().formatHex(random.generateSeed(20));
    S3Proxy proxy =
        S3Proxy.builder()
            .blobStore(new FilesystemNio2BlobStore(dataDir.toAbsolutePath().toString()))
            .endpoint(URI.create("http://127.0.0.1:" + port))
            .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, identity, secret)
            .build();
    proxy.start();
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (!"STARTED".equals(proxy.getState())) {
      if (System.nanoTime() > deadline) {
        proxy.stop();
        throw new IllegalStateException("embedded S3 server did not start: " + proxy.getState());
      }
      Thread.sleep(5);
    }
    return new EmbeddedS3Server(
        proxy, StaticCredentialsProvider.create(AwsBasicCredentials.create(identity, secret)));
  }

  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + proxy.getPort());
  }

  /** The credentials this server accepts, for clients in the same process. */
  public AwsCredentialsProvider credentials() {
    return credentials;
  }

  @Override
  public void close() throws Exception {
    proxy.stop();
  }
}
