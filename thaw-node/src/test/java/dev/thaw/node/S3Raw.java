package dev.thaw.node;

import dev.thaw.s3.EmbeddedS3Server;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/** Writes objects behind the store's back, as a failing disk or a bad actor would. */
final class S3Raw {
  private S3Raw() {}

  static void put(EmbeddedS3Server server, String bucket, String key, byte[] content) {
    try (S3Client s3 = client(server)) {
      s3.putObject(r -> r.bucket(bucket).key(key), RequestBody.fromBytes(content));
    }
  }

  static byte[] get(EmbeddedS3Server server, String bucket, String key) {
    try (S3Client s3 = client(server)) {
      return s3.getObjectAsBytes(r -> r.bucket(bucket).key(key)).asByteArray();
    }
  }

  private static S3Client client(EmbeddedS3Server server) {
    return S3Client.builder()
        .endpointOverride(server.endpoint())
        .credentialsProvider(server.credentials())
        .region(Region.US_EAST_1)
        .forcePathStyle(true)
        .httpClient(UrlConnectionHttpClient.builder().build())
        .build();
  }
}
