package dev.thaw.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/** Ranged reads through presigned URLs, against the real embedded server. */
class PresignedReaderIT {
  @TempDir Path tmp;
  private EmbeddedS3Server server;
  private S3Client s3;
  private S3Presigner presigner;
  private final byte[] object = new byte[1 << 20];

  @BeforeEach
  void start() throws Exception {
    server = EmbeddedS3Server.start(tmp.resolve("s3"));
    s3 = S3Raw.client(server);
    s3.createBucket(r -> r.bucket("ranges"));
    new Random(1).nextBytes(object);
    s3.putObject(r -> r.bucket("ranges").key("obj"), RequestBody.fromBytes(object));
    presigner = S3Raw.presigner(server);
  }

  @AfterEach
  void stop() throws Exception {
    presigner.close();
    s3.close();
    server.close();
  }

  @Test
  void readsExactlyTheRangesAskedFor() throws Exception {
    PresignedReader reader = new PresignedReader(presigner, "ranges", "test storage");
    assertThat(reader.read("obj", 0, 99)).isEqualTo(Arrays.copyOfRange(object, 0, 100));
    assertThat(reader.read("obj", 1000, 300_000))
        .isEqualTo(Arrays.copyOfRange(object, 1000, 300_001));
    assertThat(reader.read("obj", object.length - 1, object.length - 1))
        .containsExactly(object[object.length - 1]);
  }

  @Test
  void missingObjectsAndRangesPastTheEndFailClearly() {
    PresignedReader reader = new PresignedReader(presigner, "ranges", "test storage");
    assertThatThrownBy(() -> reader.read("absent", 0, 9))
        .isInstanceOf(IOException.class)
        .hasMessage("absent is missing from test storage");
    // Part of the range exists: the object is shorter than its manifest says.
    assertThatThrownBy(() -> reader.read("obj", object.length - 10, object.length + 10))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("shorter than its manifest says");
    // None of it exists: the server refuses the range.
    assertThatThrownBy(() -> reader.read("obj", object.length + 10, object.length + 20))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("HTTP 416")
        .hasMessageNotContaining("X-Amz-Signature");
  }

  @Test
  void readsWholeObjectsAndTellsAMissingOneFromAMissingBucket() throws Exception {
    PresignedReader reader = new PresignedReader(presigner, "ranges", "test storage");
    assertThat(reader.readAll("obj")).hasValue(object);
    s3.putObject(r -> r.bucket("ranges").key("empty"), RequestBody.fromBytes(new byte[0]));
    assertThat(reader.readAll("empty")).hasValue(new byte[0]);
    assertThat(reader.readAll("absent")).isEmpty();
    java.nio.ByteBuffer direct = reader.readAllDirect("obj").orElseThrow();
    assertThat(direct.isDirect()).isTrue();
    byte[] copied = new byte[direct.remaining()];
    direct.get(copied);
    assertThat(copied).isEqualTo(object);
    assertThat(reader.readAllDirect("absent")).isEmpty();
    PresignedReader elsewhere = new PresignedReader(presigner, "no-such-bucket", "test storage");
    assertThatThrownBy(() -> elsewhere.readAll("obj"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("HTTP 404 NoSuchBucket")
        .hasMessageNotContaining("X-Amz-Signature");
  }

  @Test
  void anExpiredUrlIsSignedAgain() throws Exception {
    // URLs valid for 1 s, and a clock that never moves: the reader keeps the first URL until
    // the server refuses it, then signs a new one.
    Clock frozen = Clock.fixed(Instant.now(), ZoneOffset.UTC);
    PresignedReader reader =
        new PresignedReader(presigner, "ranges", "test storage", frozen, Duration.ofSeconds(1));
    assertThat(reader.read("obj", 0, 9)).isEqualTo(Arrays.copyOfRange(object, 0, 10));
    Thread.sleep(2500);
    assertThat(reader.read("obj", 10, 19)).isEqualTo(Arrays.copyOfRange(object, 10, 20));
  }
}
