package dev.thaw.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.thaw.core.function.BuiltinFunctions;
import dev.thaw.core.io.Digests;
import dev.thaw.core.snapshot.SnapshotFile;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotManifestCodec;
import dev.thaw.core.vmm.VmmIdentity;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The S3 store against the embedded s3proxy server over real HTTP. */
class S3SnapshotStoreIT {
  private static final VmmIdentity HOST = new VmmIdentity("qemu", "7.2.22", "tcg", "microvm");

  @TempDir Path tmp;
  private EmbeddedS3Server server;
  private S3SnapshotStore store;

  @BeforeEach
  void start() throws Exception {
    server = EmbeddedS3Server.start(tmp.resolve("s3"));
    store =
        S3SnapshotStore.builder()
            .endpoint(server.endpoint())
            .credentials(server.credentials())
            .bucket("snapshots")
            .rangeBytes(1 << 20)
            .build()
            .ensureBucket();
  }

  @AfterEach
  void stop() throws Exception {
    store.close();
    server.close();
  }

  private SnapshotManifest writeSnapshot(Path dir, String revision) throws IOException {
    Files.createDirectories(dir);
    byte[] random = new byte[3 * (1 << 20) + 12345];
    new Random(7).nextBytes(random);
    Files.write(dir.resolve("state"), random);
    try (RandomAccessFile memory = new RandomAccessFile(dir.resolve("memory").toFile(), "rw")) {
      memory.setLength(8L << 20); // sparse but for one page in the middle
      memory.seek(5L << 20);
      memory.write("guest page".getBytes());
    }
    List<SnapshotFile> files =
        List.of(
            file(dir, "memory", SnapshotFile.Role.MEMORY),
            file(dir, "state", SnapshotFile.Role.STATE));
    return new SnapshotManifest(
        SnapshotManifest.FORMAT_VERSION,
        revision,
        BuiltinFunctions.STATEFUL,
        HOST,
        new SnapshotManifest.Guest("0".repeat(64), "0".repeat(64)),
        Instant.now(),
        files);
  }

  private static SnapshotFile file(Path dir, String name, SnapshotFile.Role role)
      throws IOException {
    Path p = dir.resolve(name);
    return new SnapshotFile(name, role, Files.size(p), Digests.sha256(p));
  }

  @Test
  void uploadsAndDownloadsByteIdenticalFilesAndKeepsZeroRangesSparse() throws Exception {
    SnapshotManifest m = writeSnapshot(tmp.resolve("a"), "stateful-1");
    assertThat(store.manifest("stateful-1")).isEmpty();
    store.upload(m, tmp.resolve("a"));

    String json = store.manifest("stateful-1").orElseThrow();
    SnapshotManifest fetched = SnapshotManifestCodec.read(json, HOST);
    assertThat(fetched).isEqualTo(m);
    Path b = Files.createDirectories(tmp.resolve("b"));
    for (SnapshotFile f : fetched.files()) {
      store.download("stateful-1", f, b.resolve(f.name()));
    }
    SnapshotManifestCodec.verifyFiles(fetched, b);
    long allocated = allocatedBytes(b.resolve("memory"));
    assertThat(allocated).as("bytes allocated for an 8 MiB file with one page").isLessThan(2 << 20);
    assertThat(store.revisions()).containsExactly("stateful-1");
  }

  /** Bytes the filesystem allocated for a file (stat's 512-byte blocks). */
  static long allocatedBytes(Path p) throws Exception {
    Process stat = new ProcessBuilder("stat", "-c", "%b", p.toString()).start();
    String out = new String(stat.getInputStream().readAllBytes()).strip();
    assertThat(stat.waitFor()).isZero();
    return Long.parseLong(out) * 512;
  }

  @Test
  void deleteRemovesTheManifestAndThePayloads() throws Exception {
    store.upload(writeSnapshot(tmp.resolve("a"), "stateful-1"), tmp.resolve("a"));
    store.upload(writeSnapshot(tmp.resolve("b"), "stateful-2"), tmp.resolve("b"));
    store.delete("stateful-1");
    assertThat(store.revisions()).containsExactly("stateful-2");
    assertThat(store.manifest("stateful-1")).isEmpty();
  }

  @Test
  void anUnreachableServerIsAnIoErrorNamingTheStore() throws Exception {
    try (S3SnapshotStore nowhere =
        S3SnapshotStore.builder()
            .endpoint(URI.create("http://127.0.0.1:9"))
            .credentials(server.credentials())
            .build()) {
      assertThatThrownBy(() -> nowhere.manifest("x"))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("127.0.0.1:9");
    }
  }
}
