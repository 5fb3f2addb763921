package dev.thaw.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.core.function.BuiltinFunctions;
import dev.thaw.core.snapshot.SnapshotFixtures;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotManifestCodec;
import dev.thaw.core.vmm.VmmIdentity;
import dev.thaw.node.remote.RemoteSnapshotStore;
import dev.thaw.node.snapshot.cache.LocalChunks;
import dev.thaw.node.snapshot.fill.ChunkAssembler;
import dev.thaw.s3.EmbeddedS3Server;
import dev.thaw.s3.S3ObjectStore;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code thaw snapshots rm --remote} and {@code gc} on the embedded server's storage. */
class SnapshotsGcIT {
  private static final VmmIdentity HOST = SnapshotFixtures.HOST;
  private static final int CHUNK = 64 << 10;

  @TempDir Path tmp;

  /** Runs {@code thaw args…} on the test's data directory; returns what it printed. */
  private String thaw(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream saved = System.out;
    System.setOut(new PrintStream(out, true));
    int status;
    try {
      List<String> all = new java.util.ArrayList<>(List.of(args));
      all.addAll(List.of("--data-dir", tmp.resolve("data").toString()));
      status = Thaw.commandLine().execute(all.toArray(String[]::new));
    } finally {
      System.setOut(saved);
    }
    assertThat(status).as("thaw %s printed %s", List.of(args), out).isZero();
    return out.toString();
  }

  /** Runs {@code thaw args…}, which must fail; returns what it printed as its error. */
  private String refused(String... args) {
    java.io.StringWriter err = new java.io.StringWriter();
    List<String> all = new java.util.ArrayList<>(List.of(args));
    all.addAll(List.of("--data-dir", tmp.resolve("data").toString()));
    int status =
        Thaw.commandLine()
            .setErr(new java.io.PrintWriter(err, true))
            .execute(all.toArray(String[]::new));
    assertThat(status).as("thaw %s printed %s", List.of(args), err).isNotZero();
    return err.toString();
  }

  /** The store the commands use: the embedded server on the data directory, default bucket. */
  private interface WithStore {
    void accept(RemoteSnapshotStore store) throws Exception;
  }

  private void withStore(WithStore body) throws Exception {
    try (EmbeddedS3Server server = EmbeddedS3Server.start(tmp.resolve("data").resolve("s3"));
        RemoteSnapshotStore store =
            RemoteSnapshotStore.builder(
                    S3ObjectStore.builder()
                        .server(server)
                        .bucket("thaw-snapshots")
                        .build()
                        .ensureBucket())
                .build()) {
      body.accept(store);
    }
  }

  private SnapshotManifest upload(RemoteSnapshotStore store, String revision, byte[] memory)
      throws Exception {
    Path dir = tmp.resolve(revision);
    SnapshotManifest m =
        SnapshotFixtures.chunked(dir, revision, BuiltinFunctions.HELLO, memory, CHUNK);
    store.upload(m, dir);
    return m;
  }

  @Test
  void removedRevisionsLoseTheirOwnChunksAndTheRestStaysRestorable() throws Exception {
    // a and b share their first 4 chunks; each has 4 of its own.
    byte[] shared = new byte[4 * CHUNK];
    new Random(1).nextBytes(shared);
    byte[] a = new byte[8 * CHUNK];
    byte[] b = new byte[8 * CHUNK];
    new Random(2).nextBytes(a);
    new Random(3).nextBytes(b);
    System.arraycopy(shared, 0, a, 0, shared.length);
    System.arraycopy(shared, 0, b, 0, shared.length);
    SnapshotManifest[] mb = new SnapshotManifest[1];
    withStore(
        store -> {
          upload(store, "fn-a", a);
          mb[0] = upload(store, "fn-b", b);
        });

    thaw("snapshots", "rm", "--remote", "fn-a");
    // a's 4 own memory chunks and its state chunk go; the shared ones and all of b's stay.
    assertThat(thaw("snapshots", "gc"))
        .contains("collecting garbage in")
        .contains("removed 0 revisions [] and 5 chunks")
        .contains("; 9 chunks in use");
    // Used just now: not old enough for a day's expiry.
    assertThat(thaw("snapshots", "gc", "--unused-for", "1d"))
        .contains("removed 0 revisions [] and 0 chunks");

    withStore(
        store -> {
          assertThat(store.revisions()).containsExactly("fn-b");
          SnapshotManifest read =
              SnapshotManifestCodec.read(store.manifest("fn-b").orElseThrow(), HOST);
          Path out = Files.createDirectories(tmp.resolve("fetched"));
          ChunkAssembler.allocate(read, out);
          try (ChunkAssembler assembler = new ChunkAssembler(store, 4)) {
            assembler.assemble(read, out, LocalChunks.none());
          }
          assertThat(Files.readAllBytes(out.resolve("memory"))).isEqualTo(b);
          assertThat(read.chunks()).isEqualTo(mb[0].chunks());
        });

    // Nodes record use hourly: an age that short could take a revision in use, and is refused.
    assertThat(refused("snapshots", "gc", "--unused-for", "59m"))
        .contains("--unused-for must be at least 2h");
    withStore(store -> assertThat(store.revisions()).containsExactly("fn-b"));

    thaw("snapshots", "rm", "--remote", "fn-b");
    assertThat(thaw("snapshots", "gc"))
        .contains("removed 0 revisions [] and 9 chunks")
        .contains("; 0 chunks in use");
    withStore(store -> assertThat(store.revisions()).isEmpty());
  }
}
