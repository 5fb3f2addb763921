package dev.thaw.node.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.thaw.core.cache.CacheAdvertiser;
import dev.thaw.core.cache.CacheIndex;
import dev.thaw.core.function.BuiltinFunctions;
import dev.thaw.core.snapshot.PackIndex;
import dev.thaw.core.snapshot.SnapshotFile;
import dev.thaw.core.snapshot.SnapshotFixtures;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotManifestCodec;
import dev.thaw.core.snapshot.SnapshotMismatchException;
import dev.thaw.core.snapshot.SnapshotStore;
import dev.thaw.core.vmm.VmmIdentity;
import dev.thaw.node.remote.RemoteSnapshotStore;
import dev.thaw.node.snapshot.cache.LocalChunks;
import dev.thaw.node.snapshot.cache.LocalSnapshotCache;
import dev.thaw.node.snapshot.fill.ChunkAssembler;
import dev.thaw.s3.EmbeddedS3Server;
import dev.thaw.s3.S3ObjectStore;
import dev.thaw.s3.S3Raw;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chunked snapshots through the real S3 server: upload, then rebuild with {@link ChunkAssembler}.
 */
class ChunkedFetchIT {
  private static final VmmIdentity HOST = SnapshotFixtures.HOST;
  private static final int CHUNK = 64 << 10;
  private static final int SIZE = 64 * CHUNK;

  @TempDir Path tmp;
  private EmbeddedS3Server server;
  private RemoteSnapshotStore store;
  private WatchedStore watched;
  private ChunkAssembler assembler;

  @BeforeEach
  void start() throws Exception {
    server = EmbeddedS3Server.start(tmp.resolve("s3"));
    store =
        RemoteSnapshotStore.builder(
                S3ObjectStore.builder().server(server).bucket("snapshots").build().ensureBucket())
            .build();
    watched = WatchedStore.watching(store);
    assembler = new ChunkAssembler(watched, 8);
  }

  @AfterEach
  void stop() throws Exception {
    assembler.close();
    store.close();
    server.close();
  }

  private SnapshotManifest snapshot(Path dir, String revision, byte[] memory) throws IOException {
    return SnapshotFixtures.chunked(dir, revision, BuiltinFunctions.HELLO, memory, CHUNK);
  }

  /** A snapshot of {@code chunks} chunks of seeded random memory, uploaded. */
  private record Uploaded(SnapshotManifest manifest, byte[] memory) {}

  private Uploaded uploadRandom(String revision, int chunks, long seed) throws IOException {
    byte[] memory = new byte[chunks * CHUNK];
    new Random(seed).nextBytes(memory);
    Path dir = tmp.resolve(revision);
    SnapshotManifest m = snapshot(dir, revision, memory);
    store.upload(m, dir);
    return new Uploaded(m, memory);
  }

  /** A new directory {@code name} with {@code m}'s files allocated, ready to assemble into. */
  private Path allocated(String name, SnapshotManifest m) throws IOException {
    Path out = Files.createDirectories(tmp.resolve(name));
    ChunkAssembler.allocate(m, out);
    return out;
  }

  /** Uploads {@code memory} as a snapshot, rebuilds it elsewhere and checks every byte. */
  private ChunkAssembler.Transfer roundTrip(String revision, byte[] memory, LocalChunks local)
      throws Exception {
    SnapshotManifest m = snapshot(tmp.resolve(revision), revision, memory);
    store.upload(m, tmp.resolve(revision));
    SnapshotManifest read =
        SnapshotManifestCodec.read(store.manifest(revision).orElseThrow(), HOST);
    Path out = Files.createDirectories(tmp.resolve(revision + "-fetched"));
    ChunkAssembler.allocate(read, out);
    ChunkAssembler.Transfer t = assembler.assemble(read, out, local);
    assertThat(Files.readAllBytes(out.resolve("memory"))).isEqualTo(memory);
    assertThat(Files.readString(out.resolve("state"))).isEqualTo("state of " + revision);
    SnapshotManifestCodec.verifyFiles(read, out);
    return t;
  }

  @Test
  void randomContentRebuildsByteIdentical() throws Exception {
    byte[] memory = new byte[SIZE + 1234]; // a short last chunk
    new Random(11).nextBytes(memory);
    ChunkAssembler.Transfer t = roundTrip("random", memory, LocalChunks.none());
    assertThat(t.fetchedChunks()).isEqualTo(65 + 1);
    assertThat(t.copiedChunks()).isZero();
    assertThat(t.refetches()).isZero();
  }

  @Test
  void sparseContentRebuildsByteIdenticalAndStaysSparse() throws Exception {
    byte[] memory = new byte[SIZE];
    Random r = new Random(12);
    for (int page = 0; page < 5; page++) {
      int at = r.nextInt(SIZE - 4096) & ~4095;
      for (int i = 0; i < 4096; i++) {
        memory[at + i] = (byte) r.nextInt();
      }
    }
    ChunkAssembler.Transfer t = roundTrip("sparse", memory, LocalChunks.none());
    assertThat(t.fetchedChunks()).isBetween(2, 6);
    assertThat(t.zeroBytes()).isGreaterThanOrEqualTo(SIZE - 5L * CHUNK);
    Process stat =
        new ProcessBuilder("stat", "-c", "%b", tmp.resolve("sparse-fetched/memory").toString())
            .start();
    long allocated = Long.parseLong(new String(stat.getInputStream().readAllBytes()).strip()) * 512;
    assertThat(allocated).as("allocated bytes of a 4 MiB file with 5 pages").isLessThan(6L * CHUNK);
  }

  @Test
  void repetitiveContentIsFetchedOnceAndWrittenEverywhere() throws Exception {
    byte[] memory = new byte[SIZE];
    byte[] pattern = "thaw ".repeat(CHUNK / 5 + 1).getBytes();
    for (int c = 0; c < 64; c++) {
      System.arraycopy(pattern, 0, memory, c * CHUNK, CHUNK);
    }
    long before = store.receivedBytes();
    ChunkAssembler.Transfer t = roundTrip("repetitive", memory, LocalChunks.none());
    assertThat(t.fetchedChunks()).isEqualTo(2); // the pattern and the state
    assertThat(store.receivedBytes() - before).isEqualTo(t.fetchedBytes()).isLessThan(CHUNK / 50);
  }

  @Test
  void chunksHeldByAnotherCachedSnapshotAreCopiedNotFetched() throws Exception {
    byte[] a = new byte[SIZE];
    new Random(13).nextBytes(a);
    byte[] b = a.clone();
    for (int c = 0; c < 64; c += 8) {
      b[c * CHUNK] ^= 1; // 8 of 64 chunks differ
    }
    try (LocalSnapshotCache cache =
        LocalSnapshotCache.open(
            tmp.resolve("cache"),
            CacheIndex.builder().capacityBytes(1L << 30).build(),
            CacheAdvertiser.none(),
            HOST,
            new SimpleMeterRegistry())) {
      var w = cache.begin("fn-a", SIZE).orElseThrow();
      SnapshotManifest ma = snapshot(w.dir(), "fn-a", a);
      w.commit(ma).orElseThrow().close();

      SnapshotManifest mb = snapshot(tmp.resolve("b-src"), "fn-b", b);
      Set<String> wanted = new HashSet<>();
      mb.files().forEach(f -> f.chunks().sha256().forEach(wanted::add));
      try (LocalChunks local = cache.localChunks(wanted)) {
        assertThat(local.size()).isEqualTo(56);
        // Pinned: the source cannot be removed while chunks are copied from it.
        assertThat(cache.remove("fn-a")).isFalse();
        ChunkAssembler.Transfer t = roundTrip("fn-b", b, local);
        assertThat(t.copiedChunks()).isEqualTo(56);
        assertThat(t.fetchedChunks()).isEqualTo(8 + 1);
      }
      assertThat(cache.remove("fn-a")).isTrue();
    }
  }

  @Test
  void aChunkDamagedInTransferIsFetchedAgainOnce() throws Exception {
    Uploaded u = uploadRandom("flaky", 8, 14);
    SnapshotManifest m = u.manifest();
    byte[] memory = u.memory();
    String victim = m.file(SnapshotFile.Role.MEMORY).orElseThrow().chunks().sha256().get(3);
    AtomicInteger served = new AtomicInteger();
    SnapshotStore flaky = WatchedStore.damaging(store, victim, 1, served);
    try (ChunkAssembler once = new ChunkAssembler(flaky, 4)) {
      Path out = allocated("out", m);
      ChunkAssembler.Transfer t = once.assemble(m, out, LocalChunks.none());
      assertThat(t.refetches()).isEqualTo(1);
      assertThat(served.get()).isEqualTo(2);
      assertThat(Files.readAllBytes(out.resolve("memory"))).isEqualTo(memory);
    }
    // Damaged every time: the second failure is final and names the chunk.
    try (ChunkAssembler twice =
        new ChunkAssembler(WatchedStore.damaging(store, victim, 99, served), 4)) {
      Path out = allocated("out2", m);
      assertThatThrownBy(() -> twice.assemble(m, out, LocalChunks.none()))
          .isInstanceOf(SnapshotMismatchException.class)
          .hasMessageContaining(
              "chunk " + victim + " is corrupt in remote storage (fetched twice)");
    }
  }

  @Test
  void manyChunksComeInAFewPackReads() throws Exception {
    byte[] memory = new byte[SIZE];
    new Random(16).nextBytes(memory);
    long before = store.receivedBytes();
    ChunkAssembler.Transfer t = roundTrip("packed", memory, LocalChunks.none());
    assertThat(t.fetchedChunks()).isEqualTo(65);
    assertThat(store.packIndex("packed"))
        .hasValueSatisfying(p -> assertThat(p.entries()).hasSize(65));
    // 8 ranged reads in parallel (one more for rounding), not a request per chunk.
    assertThat(watched.packReads().get()).isBetween(1, 9);
    assertThat(watched.objectReads().get()).isZero();
    // Random bytes do not compress: what came is about the content, in few requests.
    assertThat(store.receivedBytes() - before)
        .isEqualTo(t.fetchedBytes())
        .isBetween((long) SIZE, SIZE + 65L * 64);
  }

  @Test
  void aDamagedOrUnreadablePackCostsRequestsNotCorrectness() throws Exception {
    Uploaded u = uploadRandom("bad-pack", 16, 17);
    SnapshotManifest m = u.manifest();
    byte[] memory = u.memory();

    byte[] garbage = new byte[40 * CHUNK];
    new Random(18).nextBytes(garbage);
    S3Raw.put(server, "snapshots", "bad-pack/_pack", garbage);
    Path out = allocated("out", m);
    ChunkAssembler.Transfer t = assembler.assemble(m, out, LocalChunks.none());
    assertThat(t.refetches()).isEqualTo(17);
    assertThat(Files.readAllBytes(out.resolve("memory"))).isEqualTo(memory);

    S3Raw.put(server, "snapshots", "bad-pack/_pack.json", "{not json".getBytes());
    assertThat(store.packIndex("bad-pack")).isEmpty();
    Path again = allocated("again", m);
    ChunkAssembler.Transfer chunkByChunk = assembler.assemble(m, again, LocalChunks.none());
    assertThat(chunkByChunk.refetches()).isZero();
    assertThat(chunkByChunk.fetchedChunks()).isEqualTo(17);
    assertThat(Files.readAllBytes(again.resolve("memory"))).isEqualTo(memory);
  }

  @Test
  void aPackFrameChangedInStorageIsCaughtByItsStoredDigest() throws Exception {
    // Random content is stored as raw zstd blocks: a changed byte still decodes, to wrong content.
    Uploaded u = uploadRandom("flipped", 8, 19);
    PackIndex index = store.packIndex("flipped").orElseThrow();
    assertThat(index.entries()).allSatisfy(e -> assertThat(e.stored()).hasSize(64));
    changeAByteInThePack("flipped", index.entries().get(5));
    assertOneRefetchRebuilds(u);
  }

  @Test
  void aPackIndexWithoutStoredDigestsIsCheckedByContent() throws Exception {
    Uploaded u = uploadRandom("older", 8, 20);
    // A pack index as written before stored digests were recorded, and a changed frame.
    String json = new String(S3Raw.get(server, "snapshots", "older/_pack.json"));
    String old = json.replaceAll(",?\"stored\":\"[0-9a-f]{64}\"", "");
    assertThat(old).doesNotContain("stored").isNotEqualTo(json);
    S3Raw.put(server, "snapshots", "older/_pack.json", old.getBytes());
    PackIndex.Entry victim = store.packIndex("older").orElseThrow().entries().get(2);
    assertThat(victim.stored()).isNull();
    changeAByteInThePack("older", victim);
    assertOneRefetchRebuilds(u);
  }

  /** Changes a byte in the middle of {@code entry}'s stored bytes in the revision's pack. */
  private void changeAByteInThePack(String revision, PackIndex.Entry entry) {
    byte[] pack = S3Raw.get(server, "snapshots", revision + "/_pack");
    pack[(int) entry.offset() + entry.length() / 2] ^= 0x10;
    S3Raw.put(server, "snapshots", revision + "/_pack", pack);
  }

  /** Assembles {@code u}: one chunk came bad from the pack and good from its own object. */
  private void assertOneRefetchRebuilds(Uploaded u) throws Exception {
    Path out = allocated("out", u.manifest());
    ChunkAssembler.Transfer t = assembler.assemble(u.manifest(), out, LocalChunks.none());
    assertThat(t.refetches()).isEqualTo(1);
    assertThat(watched.objectReads().get()).isEqualTo(1);
    assertThat(Files.readAllBytes(out.resolve("memory"))).isEqualTo(u.memory());
  }

  @Test
  void aMissingChunkFailsCleanly() throws Exception {
    SnapshotManifest m = uploadRandom("gone", 4, 15).manifest();
    store.delete("gone"); // the pack goes with the revision, the chunks with the collection
    store.collectGarbage(null, phase -> {});
    Path out = allocated("out", m);
    assertThatThrownBy(() -> assembler.assemble(m, out, LocalChunks.none()))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("is missing from");
  }

  /**
   * The real store, counting chunk-object and pack reads, and flipping a bit of one chunk's content
   * (the {@code victim}, if any) the first {@code times} times it is served.
   */
  private record WatchedStore(
      RemoteSnapshotStore inner,
      String victim,
      int times,
      AtomicInteger served,
      AtomicInteger objectReads,
      AtomicInteger packReads)
      implements SnapshotStore {
    static WatchedStore watching(RemoteSnapshotStore inner) {
      return damaging(inner, null, 0, new AtomicInteger());
    }

    static WatchedStore damaging(
        RemoteSnapshotStore inner, String victim, int times, AtomicInteger served) {
      return new WatchedStore(
          inner, victim, times, served, new AtomicInteger(), new AtomicInteger());
    }

    @Override
    public FetchedChunk chunk(String sha256, int length) throws IOException {
      objectReads.incrementAndGet();
      return damaged(inner.chunk(sha256, length), sha256);
    }

    @Override
    public Optional<String> manifest(String revision) throws IOException {
      return inner.manifest(revision);
    }

    @Override
    public Optional<PackIndex> packIndex(String revision) throws IOException {
      return inner.packIndex(revision);
    }

    @Override
    public List<FetchedChunk> packChunks(
        String revision, List<PackIndex.Entry> run, List<Integer> lengths) throws IOException {
      packReads.incrementAndGet();
      List<FetchedChunk> out = new java.util.ArrayList<>();
      for (FetchedChunk c : inner.packChunks(revision, run, lengths)) {
        out.add(damaged(c, run.get(out.size()).sha256()));
      }
      return out;
    }

    private FetchedChunk damaged(FetchedChunk c, String sha256) {
      if (sha256.equals(victim) && served.incrementAndGet() <= times) {
        byte[] damaged = Arrays.copyOf(c.data(), c.data().length);
        damaged[damaged.length / 2] ^= 1;
        return new FetchedChunk(damaged, c.storedBytes(), false);
      }
      return c;
    }

    @Override
    public void download(String revision, SnapshotFile file, Path target) throws IOException {
      inner.download(revision, file, target);
    }

    @Override
    public void upload(String revision, SnapshotManifest manifest, Path dir) throws IOException {
      inner.upload(revision, manifest, dir);
    }

    @Override
    public void markUsed(String revision) throws IOException {
      inner.markUsed(revision);
    }

    @Override
    public void markUnusable(String revision, java.time.Instant createdAt) throws IOException {
      inner.markUnusable(revision, createdAt);
    }

    @Override
    public Optional<java.time.Instant> unusable(String revision) throws IOException {
      return inner.unusable(revision);
    }

    @Override
    public List<String> revisions() throws IOException {
      return inner.revisions();
    }

    @Override
    public void delete(String revision) throws IOException {
      inner.delete(revision);
    }

    @Override
    public String describe() {
      return "damaging " + inner.describe();
    }
  }
}
