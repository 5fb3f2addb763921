package dev.thaw.node.snapshot.fill;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.core.function.BuiltinFunctions;
import dev.thaw.core.snapshot.PackIndex;
import dev.thaw.core.snapshot.SnapshotFile;
import dev.thaw.core.snapshot.SnapshotFixtures;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotManifestCodec;
import dev.thaw.core.store.InMemoryObjectStore;
import dev.thaw.node.remote.RemoteSnapshotStore;
import dev.thaw.node.snapshot.cache.LocalChunks;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@link LazyFill} whose revision a peer holds: with storage unreachable once the fill has
 * started, every chunk comes from the peer, the working set too (as chunks: its pages cannot be
 * had), and the files come out whole; a peer that lacks chunks leaves them to storage.
 */
class PeerFillTest {
  private static final int CHUNK = 64 << 10;

  @TempDir Path tmp;
  private final InMemoryObjectStore objects = new InMemoryObjectStore();
  private final RemoteSnapshotStore store = RemoteSnapshotStore.builder(objects).build();
  private final byte[] memory = new byte[32 * CHUNK];
  private TestPeer peer;

  @AfterEach
  void closePeer() {
    if (peer != null) {
      peer.close();
    }
  }

  private SnapshotManifest upload() throws IOException {
    new Random(5).nextBytes(memory);
    Arrays.fill(memory, 0, CHUNK, (byte) 0);
    SnapshotManifest m =
        SnapshotFixtures.chunked(tmp.resolve("made"), "fn", BuiltinFunctions.HELLO, memory, CHUNK)
            .withWorkingSet(List.of(5, 20), null);
    store.upload(m, tmp.resolve("made"));
    peer = new TestPeer(List.of("fn"));
    peer.holdAll(m, tmp.resolve("made"));
    return m;
  }

  private LazyFill fill(SnapshotManifest m, Path dir) throws IOException {
    return fill(m, dir, store.packIndex("fn"));
  }

  private LazyFill fill(SnapshotManifest m, Path dir, Optional<PackIndex> pack) throws IOException {
    Files.createDirectories(dir);
    ChunkAssembler.allocate(m, dir);
    PeerReads peers = PeerReads.builder(revision -> List.of(peer.endpoint()), peer.token).build();
    return new LazyFill(
        m,
        dir,
        LocalChunks.none(),
        store,
        java.util.concurrent.CompletableFuture.completedFuture(pack),
        FillStart.of(LazyFill.askForPages(store, "fn", memory.length, Runnable::run)),
        2,
        waited -> {},
        peers);
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void withStorageGoneEveryChunkComesFromThePeer() throws Exception {
    SnapshotManifest m = upload();
    AtomicBoolean down = new AtomicBoolean();
    objects.intercept(
        (op, key) -> {
          if (down.get()) {
            throw new IOException("storage unreachable");
          }
        });
    Path dir = tmp.resolve("lazy");
    Optional<PackIndex> pack = store.packIndex("fn");
    down.set(true);
    try (LazyFill fill = fill(m, dir, pack)) {
      ByteBuffer b = ByteBuffer.allocate(4096);
      assertThat(fill.memory().read(20L * CHUNK + 8192, b)).isEqualTo(4096);
      assertThat(b.array())
          .isEqualTo(Arrays.copyOfRange(memory, 20 * CHUNK + 8192, 20 * CHUNK + 8192 + 4096));
      fill.priority().get(30, TimeUnit.SECONDS);
      fill.fetchRest();
      ChunkAssembler.Transfer t = fill.done().get(30, TimeUnit.SECONDS);
      assertThat(t.peerChunks()).isEqualTo(m.chunks().size());
      assertThat(t.fetchedChunks()).isZero();
      assertThat(t.peerFallbacks()).isEmpty();
      assertThat(fill.pagesFetchedBytes()).isZero();
      SnapshotManifestCodec.verifyFiles(m, dir);
      fill.release();
    }
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void chunksThePeerLacksComeFromStorage() throws Exception {
    SnapshotManifest m = upload();
    String lacking = m.file(SnapshotFile.Role.MEMORY).orElseThrow().chunks().sha256().get(7);
    peer.chunks.remove(lacking);
    Path dir = tmp.resolve("lazy");
    try (LazyFill fill = fill(m, dir)) {
      fill.fetchRest();
      ChunkAssembler.Transfer t = fill.done().get(30, TimeUnit.SECONDS);
      assertThat(t.peerChunks()).isEqualTo(m.chunks().size() - 1);
      assertThat(t.fetchedChunks()).isEqualTo(1);
      assertThat(t.peerFallbacks())
          .containsExactlyEntriesOf(java.util.Map.of(PeerFallback.MISSING, 1));
      SnapshotManifestCodec.verifyFiles(m, dir);
      fill.release();
    }
    assertThat(peer.askedFor(lacking)).isEqualTo(1);
  }
}
