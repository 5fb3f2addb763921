package dev.thaw.node.snapshot.fill;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.core.io.Digests;
import dev.thaw.core.snapshot.PackIndex;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotManifestCodec;
import dev.thaw.core.snapshot.SnapshotStore;
import dev.thaw.core.store.InMemoryObjectStore;
import dev.thaw.node.peer.StartBundle;
import dev.thaw.node.peer.StartDecoder;
import dev.thaw.node.remote.RemoteSnapshotStore;
import dev.thaw.node.snapshot.cache.LocalChunks;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A lazy fill started from what a peer handed over ({@link FillStart}): an honest start needs
 * nothing of storage before the guest resumes; forged pages and a forged state chunk are refused,
 * storage supplies both, and the files come out right. And the manifest check of a peer's start
 * ({@link PeerStart#trusted}) against the digest storage keeps.
 */
class PeerStartFillTest {
  @TempDir Path tmp;
  private final InMemoryObjectStore objects = new InMemoryObjectStore();
  private final RemoteSnapshotStore store = RemoteSnapshotStore.builder(objects).build();

  private WorkingPagesFixture uploaded() throws Exception {
    WorkingPagesFixture f = new WorkingPagesFixture(tmp.resolve("made"));
    store.upload(f.manifest, tmp.resolve("made"));
    return f;
  }

  private LazyFill fill(WorkingPagesFixture f, FillStart start) throws Exception {
    return fill(f, start, CompletableFuture.completedFuture(store.packIndex("fn")));
  }

  private LazyFill fill(
      WorkingPagesFixture f, FillStart start, CompletableFuture<Optional<PackIndex>> pack)
      throws Exception {
    Path dir = tmp.resolve("lazy");
    Files.createDirectories(dir);
    ChunkAssembler.allocate(f.manifest, dir);
    return new LazyFill(
        f.manifest, dir, LocalChunks.none(), store, pack, start, 2, waited -> {}, PeerReads.none());
  }

  /** Storage's pages, as a fill asks for them again when a peer's are refused; counts the asks. */
  private Optional<Supplier<CompletableFuture<Optional<SnapshotStore.FetchedPages>>>> storagePages(
      WorkingPagesFixture f, AtomicInteger asked) {
    return Optional.of(
        () -> {
          asked.incrementAndGet();
          return LazyFill.askForPages(store, "fn", f.memory.length, Runnable::run);
        });
  }

  /** {@code pages} with one byte flipped: what a lying peer hands over. */
  private static ByteBuffer flipped(ByteBuffer pages) {
    ByteBuffer forged = ByteBuffer.allocate(pages.remaining()).put(pages.duplicate());
    forged.put(100, (byte) (forged.get(100) ^ 1)).flip();
    return forged;
  }

  private static CompletableFuture<Optional<SnapshotStore.FetchedPages>> pages(ByteBuffer b) {
    return CompletableFuture.completedFuture(
        Optional.of(new SnapshotStore.FetchedPages(b.duplicate(), 0)));
  }

  @Test
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  void anHonestStartNeedsNothingOfStorageBeforeTheGuestResumes() throws Exception {
    WorkingPagesFixture f = uploaded();
    byte[] state = Files.readAllBytes(tmp.resolve("made/state"));
    String stateSha = Digests.sha256(state, 0, state.length);
    AtomicInteger askedAgain = new AtomicInteger();
    FillStart start =
        new FillStart(
            pages(f.pages),
            storagePages(f, askedAgain),
            Map.of(stateSha, state),
            f.pages.remaining());
    // The pack index is still being read: nothing before the resume waits for it.
    CompletableFuture<Optional<PackIndex>> pack = new CompletableFuture<>();
    try (LazyFill fill = fill(f, start, pack)) {
      fill.priority().get(10, TimeUnit.SECONDS);
      ChunkAssembler.Transfer before = fill.transfer();
      assertThat(before.fetchedChunks()).as("nothing from storage before the resume").isZero();
      assertThat(before.fetchedBytes()).isZero();
      assertThat(before.peerChunks()).isEqualTo(1);
      assertThat(before.peerBytes()).isEqualTo(state.length + f.pages.remaining());
      assertThat(askedAgain).hasValue(0);
      ByteBuffer page = ByteBuffer.allocate(4096);
      fill.memory().read(83L * 4096, page);
      assertThat(page.array()).isEqualTo(f.bytes(83L * 4096, 84L * 4096));
      pack.complete(store.packIndex("fn"));
      fill.fetchRest();
      fill.done().get(10, TimeUnit.SECONDS);
      SnapshotManifestCodec.verifyFiles(f.manifest, tmp.resolve("lazy"));
      fill.release();
    }
  }

  @Test
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  void forgedPagesAndAForgedChunkAreRefusedAndStorageSuppliesThem() throws Exception {
    WorkingPagesFixture f = uploaded();
    byte[] state = Files.readAllBytes(tmp.resolve("made/state"));
    String stateSha = Digests.sha256(state, 0, state.length);
    byte[] forgedState = state.clone();
    forgedState[0] ^= 1;
    ByteBuffer forgedPages = flipped(f.pages);
    AtomicInteger askedAgain = new AtomicInteger();
    FillStart start =
        new FillStart(
            pages(forgedPages),
            storagePages(f, askedAgain),
            Map.of(stateSha, forgedState),
            forgedPages.remaining());
    Path dir = tmp.resolve("lazy");
    try (LazyFill fill = fill(f, start)) {
      fill.priority().get(10, TimeUnit.SECONDS);
      assertThat(askedAgain).as("storage's pages, once").hasValue(1);
      ChunkAssembler.Transfer before = fill.transfer();
      assertThat(before.peerChunks()).isZero();
      assertThat(before.peerFallbacks()).containsEntry(PeerFallback.CORRUPT, 1);
      assertThat(before.fetchedChunks()).as("the state chunk, from storage").isEqualTo(1);
      ByteBuffer page = ByteBuffer.allocate(4096);
      fill.memory().read(83L * 4096, page);
      assertThat(page.array()).isEqualTo(f.bytes(83L * 4096, 84L * 4096));
      assertThat(Files.readAllBytes(dir.resolve("state"))).isEqualTo(state);
      fill.fetchRest();
      fill.done().get(10, TimeUnit.SECONDS);
      SnapshotManifestCodec.verifyFiles(f.manifest, dir);
      fill.release();
    }
  }

  @Test
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  void pagesHashedOnArrivalAreCheckedByThatDigestAndForgedOnesRefused() throws Exception {
    WorkingPagesFixture f = uploaded();
    ByteBuffer forgedPages = flipped(f.pages);
    java.security.MessageDigest sha = Digests.newSha256();
    sha.update(forgedPages.duplicate());
    AtomicInteger askedAgain = new AtomicInteger();
    FillStart start =
        new FillStart(
            pages(forgedPages),
            storagePages(f, askedAgain),
            Map.of(),
            forgedPages.remaining(),
            Optional.of(Digests.hex(sha)));
    try (LazyFill fill = fill(f, start)) {
      fill.priority().get(10, TimeUnit.SECONDS);
      assertThat(askedAgain).as("storage's pages, once").hasValue(1);
      ByteBuffer page = ByteBuffer.allocate(4096);
      fill.memory().read(83L * 4096, page);
      assertThat(page.array()).isEqualTo(f.bytes(83L * 4096, 84L * 4096));
      fill.fetchRest();
      fill.done().get(10, TimeUnit.SECONDS);
      fill.release();
    }
  }

  @Test
  void aPeersManifestIsTakenOnlyWithTheDigestStorageKeeps() throws Exception {
    WorkingPagesFixture f = uploaded();
    String json = store.manifest("fn").orElseThrow();
    Optional<String> kept = store.manifestSha256("fn");
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    assertThat(kept).hasValue(Digests.sha256(bytes, 0, bytes.length));
    assertThat(SnapshotManifestCodec.write(f.manifest)).isEqualTo(json);

    assertThat(ManifestDigest.of(f.manifest).sha256())
        .as("the digest the maker reports is the one storage keeps")
        .isEqualTo(kept.orElseThrow());

    StartDecoder.Decoded honest =
        new StartDecoder.Decoded(new StartBundle(bytes, f.pages.duplicate(), Map.of()), "");
    assertThat(PeerStart.trusted(Optional.of(honest), kept, "fn")).containsSame(honest);

    SnapshotManifest other = f.manifest.withWorkingSet(java.util.List.of(5), null);
    byte[] forged = SnapshotManifestCodec.write(other).getBytes(StandardCharsets.UTF_8);
    StartDecoder.Decoded lying =
        new StartDecoder.Decoded(new StartBundle(forged, f.pages.duplicate(), Map.of()), "");
    assertThat(PeerStart.trusted(Optional.of(lying), kept, "fn")).isEmpty();
    assertThat(PeerStart.trusted(Optional.of(honest), Optional.empty(), "fn"))
        .as("no digest kept: storage's manifest")
        .isEmpty();
    assertThat(PeerStart.trusted(Optional.of(honest), Optional.of("0".repeat(64)), "fn"))
        .as("a digest given that is not the manifest's")
        .isEmpty();
  }
}
