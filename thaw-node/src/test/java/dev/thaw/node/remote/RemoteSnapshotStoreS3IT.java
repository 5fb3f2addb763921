package dev.thaw.node.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.thaw.core.function.BuiltinFunctions;
import dev.thaw.core.io.Digests;
import dev.thaw.core.snapshot.SnapshotFile;
import dev.thaw.core.snapshot.SnapshotFixtures;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotManifestCodec;
import dev.thaw.core.snapshot.SnapshotMismatchException;
import dev.thaw.core.vmm.VmmIdentity;
import dev.thaw.s3.EmbeddedS3Server;
import dev.thaw.s3.S3ObjectStore;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The remote-snapshot protocol on the S3 object store, against the embedded s3proxy server. */
class RemoteSnapshotStoreS3IT {
  private static final VmmIdentity HOST = SnapshotFixtures.HOST;

  @TempDir Path tmp;
  private EmbeddedS3Server server;
  private RemoteSnapshotStore store;

  @BeforeEach
  void start() throws Exception {
    server = EmbeddedS3Server.start(tmp.resolve("s3"));
    store =
        RemoteSnapshotStore.builder(
                S3ObjectStore.builder().server(server).bucket("snapshots").build().ensureBucket())
            .rangeBytes(1 << 20)
            .build();
  }

  @AfterEach
  void stop() throws Exception {
    store.close();
    server.close();
  }

  private static final int CHUNK = 64 << 10;

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
    return manifest(revision, SnapshotManifest.WHOLE_FILE_FORMAT, files);
  }

  static SnapshotManifest manifest(String revision, int format, List<SnapshotFile> files) {
    return SnapshotFixtures.manifest(revision, BuiltinFunctions.STATEFUL, format, files);
  }

  private static SnapshotFile file(Path dir, String name, SnapshotFile.Role role)
      throws IOException {
    Path p = dir.resolve(name);
    return SnapshotFile.whole(name, role, Files.size(p), Digests.sha256(p));
  }

  /** A format-2 snapshot of {@code memory} (and a small state file) in {@code dir}. */
  static SnapshotManifest chunkedSnapshot(Path dir, String revision, byte[] memory)
      throws IOException {
    return SnapshotFixtures.chunked(dir, revision, BuiltinFunctions.STATEFUL, memory, CHUNK);
  }

  /** Chunk objects in the bucket. */
  private List<String> storedChunks() throws IOException {
    try (var files = Files.walk(tmp.resolve("s3"))) {
      return files
          .filter(Files::isRegularFile)
          .map(p -> p.getFileName().toString())
          .filter(n -> n.matches("[0-9a-f]{64}"))
          .toList();
    }
  }

  @Test
  void storesEachDistinctNonZeroChunkOnceCompressed() throws Exception {
    byte[] memory = new byte[16 * CHUNK];
    new Random(1).nextBytes(memory);
    java.util.Arrays.fill(memory, 4 * CHUNK, 12 * CHUNK, (byte) 0); // 8 zero chunks
    java.util.Arrays.fill(memory, 12 * CHUNK, 16 * CHUNK, (byte) 'x'); // 4 equal chunks
    SnapshotManifest m = chunkedSnapshot(tmp.resolve("a"), "hello-1", memory);
    store.upload(m, tmp.resolve("a"));

    // 4 random + 1 repeated + 1 state chunk; zeros are not stored at all.
    assertThat(storedChunks()).hasSize(6);
    SnapshotFile mem = m.file(SnapshotFile.Role.MEMORY).orElseThrow();
    String repeated = mem.chunks().sha256().get(12);
    var fetched = store.chunk(repeated, CHUNK);
    assertThat(fetched.data()).containsOnly((byte) 'x');
    assertThat(fetched.storedBytes()).as("zstd shrinks a repeated byte").isLessThan(CHUNK / 100);
    assertThat(SnapshotManifestCodec.read(store.manifest("hello-1").orElseThrow(), HOST))
        .isEqualTo(m);

    // A second snapshot sharing the random chunks adds only what differs.
    memory[0] ^= 1;
    store.upload(chunkedSnapshot(tmp.resolve("b"), "hello-2", memory), tmp.resolve("b"));
    assertThat(storedChunks()).hasSize(8);
  }

  @Test
  void aChunkThatDoesNotDecodeIsAMismatchAndAMissingOneAnIoError() throws Exception {
    byte[] memory = new byte[2 * CHUNK];
    new Random(2).nextBytes(memory);
    SnapshotManifest m = chunkedSnapshot(tmp.resolve("a"), "hello-1", memory);
    store.upload(m, tmp.resolve("a"));
    String first = m.file(SnapshotFile.Role.MEMORY).orElseThrow().chunks().sha256().get(0);
    try (var files = Files.walk(tmp.resolve("s3"))) {
      Path object = files.filter(p -> p.getFileName().toString().equals(first)).findFirst().get();
      Files.write(object, "not zstd".getBytes());
    }
    assertThatThrownBy(() -> store.chunk(first, CHUNK))
        .isInstanceOf(SnapshotMismatchException.class)
        .hasMessageContaining("does not decode");
    assertThatThrownBy(() -> store.chunk("ab".repeat(32), CHUNK))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("missing");
  }

  @Test
  void concurrentUploadsOfSnapshotsSharingChunksBothSucceed() throws Exception {
    byte[] shared = new byte[32 * CHUNK];
    new Random(3).nextBytes(shared);
    byte[] other = shared.clone();
    for (int i = 0; i < other.length; i += 4 * CHUNK) {
      other[i] ^= 1; // a quarter of the chunks differ
    }
    SnapshotManifest a = chunkedSnapshot(tmp.resolve("a"), "fn-a", shared);
    SnapshotManifest b = chunkedSnapshot(tmp.resolve("b"), "fn-b", other);
    var pool = java.util.concurrent.Executors.newFixedThreadPool(2);
    try {
      var ua =
          pool.submit(
              () -> {
                store.upload(a, tmp.resolve("a"));
                return null;
              });
      var ub =
          pool.submit(
              () -> {
                store.upload(b, tmp.resolve("b"));
                return null;
              });
      ua.get();
      ub.get();
    } finally {
      pool.shutdownNow();
    }
    assertThat(store.revisions()).containsExactly("fn-a", "fn-b");
    for (SnapshotManifest m : List.of(a, b)) {
      assertAllChunksStored(m);
    }
    assertThat(storedChunks()).hasSize(32 + 8 + 2);
  }

  private void assertAllChunksStored(SnapshotManifest m) throws IOException {
    for (SnapshotFile f : m.files()) {
      for (int i = 0; i < f.chunks().sha256().size(); i++) {
        String d = f.chunks().sha256().get(i);
        if (d != null) {
          byte[] data = store.chunk(d, f.chunks().length(i, f.size())).data();
          assertThat(java.util.HexFormat.of().formatHex(Digests.newSha256().digest(data)))
              .isEqualTo(d);
        }
      }
    }
  }

  @Test
  void garbageCollectionDeletesUnreferencedChunksAndRevisionsUnusedTooLong() throws Exception {
    byte[] memory = new byte[8 * CHUNK];
    new Random(4).nextBytes(memory);
    SnapshotManifest a = chunkedSnapshot(tmp.resolve("a"), "fn-a", memory);
    store.upload(a, tmp.resolve("a"));
    memory[0] ^= 1;
    store.upload(chunkedSnapshot(tmp.resolve("b"), "fn-b", memory), tmp.resolve("b"));
    assertThat(storedChunks()).hasSize(8 + 1 + 2);

    var nothing = store.collectGarbage(null, phase -> {});
    assertThat(nothing.chunksDeleted()).isZero();
    assertThat(nothing.chunksKept()).isEqualTo(11);

    store.delete("fn-b");
    var report = store.collectGarbage(null, phase -> {});
    assertThat(report.chunksDeleted()).isEqualTo(2); // its first memory chunk and its state
    assertThat(storedChunks()).hasSize(9);
    assertAllChunksStored(a);

    // Object times have one-second resolution: a use just made may look up to a second old, so
    // the bound is well above that (with 1 s, a use at x.999 s looked expired at x+1.01 s).
    Thread.sleep(3100);
    store.markUsed("fn-a");
    assertThat(store.collectGarbage(Duration.ofSeconds(3), phase -> {}).expiredRevisions())
        .isEmpty();
    Thread.sleep(3100);
    var expired = store.collectGarbage(Duration.ofSeconds(3), phase -> {});
    assertThat(expired.expiredRevisions()).containsExactly("fn-a");
    assertThat(store.revisions()).isEmpty();
    assertThat(storedChunks()).isEmpty();
  }

  /**
   * Interleaves an upload whose chunks are all stored already (it only checks for them) with a
   * collection at each of the collection's phases, and at the upload's most dangerous moment: after
   * it found its chunks present and before it wrote its manifest. The chunks survive every time.
   */
  @Test
  void garbageCollectionNeverDeletesAChunkOfAManifestWrittenDuringIt() throws Exception {
    byte[] memory = new byte[8 * CHUNK];
    new Random(5).nextBytes(memory);
    SnapshotManifest m = chunkedSnapshot(tmp.resolve("a"), "fn-a", memory);
    List<String> phases = List.of("locked", "expired", "read", "read", "deleted");
    for (int at = 0; at < phases.size(); at++) {
      // The chunks are in the store but no manifest references them: garbage, unless the upload
      // that is about to reference them is seen.
      store.upload(m, tmp.resolve("a"));
      store.delete("fn-a");
      int phase = at;
      var pool = java.util.concurrent.Executors.newSingleThreadExecutor();
      try {
        java.util.concurrent.Future<?>[] upload = new java.util.concurrent.Future<?>[1];
        int[] seen = {0};
        store.collectGarbage(
            null,
            p -> {
              if (seen[0]++ == phase) {
                upload[0] =
                    pool.submit(
                        () -> {
                          store.upload(m, tmp.resolve("a"));
                          return null;
                        });
                sleepQuietly(300); // let it record itself and reach the lock, or finish
              }
            });
        upload[0].get();
      } finally {
        pool.shutdownNow();
      }
      assertThat(store.revisions()).as("after phase %d", at).containsExactly("fn-a");
      assertAllChunksStored(m);
    }

    // The upload pauses after finding every chunk present; a whole collection runs meanwhile.
    store.delete("fn-a");
    var checked = new java.util.concurrent.CountDownLatch(1);
    var proceed = new java.util.concurrent.CountDownLatch(1);
    store.onUploadPhase(
        p -> {
          if (p.equals("chunks-stored")) {
            checked.countDown();
            awaitQuietly(proceed);
          }
        });
    var pool = java.util.concurrent.Executors.newSingleThreadExecutor();
    try {
      var upload =
          pool.submit(
              () -> {
                store.upload(m, tmp.resolve("a"));
                return null;
              });
      checked.await();
      var report = store.collectGarbage(null, p -> {});
      assertThat(report.chunksDeleted()).as("chunks of an upload in progress").isZero();
      proceed.countDown();
      upload.get();
    } finally {
      pool.shutdownNow();
    }
    assertThat(store.revisions()).containsExactly("fn-a");
    assertAllChunksStored(m);
  }

  private static void sleepQuietly(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void awaitQuietly(java.util.concurrent.CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Test
  void uploadsAndDownloadsByteIdenticalFilesAndKeepsZeroRangesSparse() throws Exception {
    SnapshotManifest m = writeSnapshot(tmp.resolve("a"), "stateful-1");
    assertThat(store.manifest("stateful-1")).isEmpty();
    store.upload(m, tmp.resolve("a"));
    assertThat(storedChunks()).isEmpty();

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
    try (RemoteSnapshotStore nowhere =
        RemoteSnapshotStore.builder(
                S3ObjectStore.builder()
                    .endpoint(URI.create("http://127.0.0.1:9"))
                    .credentials(server.credentials())
                    .build())
            .build()) {
      assertThatThrownBy(() -> nowhere.manifest("x"))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("127.0.0.1:9");
    }
  }
}
