package dev.thaw.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.thaw.core.store.ObjectStore;
import dev.thaw.core.store.ObjectStoreContract;
import java.io.IOException;
import java.net.URI;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The S3 object store against the embedded s3proxy server over real HTTP, under a key prefix. */
class S3ObjectStoreIT extends ObjectStoreContract {
  private EmbeddedS3Server server;
  private S3ObjectStore store;

  @BeforeEach
  void start() throws Exception {
    server = EmbeddedS3Server.start(tmp.resolve("s3"));
    store =
        S3ObjectStore.builder()
            .server(server)
            .bucket("objects")
            .prefix("under/")
            .build()
            .ensureBucket();
  }

  @AfterEach
  void stop() throws Exception {
    store.close();
    server.close();
  }

  @Override
  protected ObjectStore store() {
    return store;
  }

  @Test
  void keysLieUnderThePrefixAndTheDescriptionNamesIt() throws Exception {
    store.put("r1/manifest.json", new byte[] {1});
    assertThat(S3Raw.get(server, "objects", "under/r1/manifest.json")).containsExactly(1);
    assertThat(store.describe()).isEqualTo("s3://objects/under/ at " + server.endpoint());
  }

  @Test
  void ensureBucketIsIdempotent() throws Exception {
    store.ensureBucket();
    store.put("a", new byte[] {1});
    assertThat(store.get("a")).isPresent();
  }

  @Test
  void anUnreachableServerIsAnIoErrorNamingTheStore() {
    try (S3ObjectStore nowhere =
        S3ObjectStore.builder()
            .endpoint(URI.create("http://127.0.0.1:9"))
            .credentials(server.credentials())
            .build()) {
      assertThatThrownBy(() -> nowhere.get("x/manifest.json"))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("127.0.0.1:9")
          .hasMessageContaining("x/manifest.json");
    }
  }
}
