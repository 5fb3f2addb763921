package dev.thaw.s3;

import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/** Writes objects behind the store's back, as a failing disk or a bad actor would. */
public final class S3Raw {
  private S3Raw() {}

  public static void put(EmbeddedS3Server server, String bucket, String key, byte[] content) {
    try (S3Client s3 = client(server)) {
      s3.putObject(r -> r.bucket(bucket).key(key), RequestBody.fromBytes(content));
    }
  }

  public static byte[] get(EmbeddedS3Server server, String bucket, String key) {
    try (S3Client s3 = client(server)) {
      return s3.getObjectAsBytes(r -> r.bucket(bucket).key(key)).asByteArray();
    }
  }

  /** A plain SDK client of the server (path-style), for what the store does not do. */
  public static S3Client client(EmbeddedS3Server server) {
    return S3Client.builder()
        .endpointOverride(server.endpoint())
        .credentialsProvider(server.credentials())
        .region(Region.US_EAST_1)
        .forcePathStyle(true)
        .httpClient(UrlConnectionHttpClient.builder().build())
        .build();
  }

  /** A presigner for the server's objects (path-style). */
  public static S3Presigner presigner(EmbeddedS3Server server) {
    return S3Presigner.builder()
        .endpointOverride(server.endpoint())
        .credentialsProvider(server.credentials())
        .region(Region.US_EAST_1)
        .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).build())
        .build();
  }
}
