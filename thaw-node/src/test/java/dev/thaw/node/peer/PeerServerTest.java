package dev.thaw.node.peer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.core.cache.CacheAdvertiser;
import dev.thaw.core.cache.CacheIndex;
import dev.thaw.core.function.BuiltinFunctions;
import dev.thaw.core.io.Digests;
import dev.thaw.core.snapshot.SnapshotFixtures;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotManifestCodec;
import dev.thaw.core.snapshot.WorkingPages;
import dev.thaw.http.BearerToken;
import dev.thaw.node.snapshot.cache.LocalSnapshotCache;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The peer edge over real HTTP on 127.0.0.1, serving a real {@link LocalSnapshotCache} on a test
 * directory: who may read (the peer token only), what is read (exactly a held chunk's bytes), and
 * what is refused (bad names, chunks not held, damaged copies, uploads beyond the bound).
 */
class PeerServerTest {
  private static final int CHUNK = 4096;
  private static final BearerToken PEER = BearerToken.generate();
  private static final BearerToken MANAGEMENT = BearerToken.generate();

  @TempDir Path root;
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final HttpClient http = HttpClient.newHttpClient();
  private LocalSnapshotCache cache;
  private PeerServer server;
  private byte[] memory;
  private SnapshotManifest manifest;

  @BeforeEach
  void cacheWithOneChunkedEntry() throws Exception {
    cache =
        LocalSnapshotCache.open(
            root.resolve("cache"),
            CacheIndex.builder().capacityBytes(1 << 20).build(),
            CacheAdvertiser.none(),
            SnapshotFixtures.HOST,
            meters);
    memory = new byte[4 * CHUNK];
    new Random(7).nextBytes(memory);
    var w = cache.begin("r1", memory.length + 100).orElseThrow();
    manifest = SnapshotFixtures.chunked(w.dir(), "r1", BuiltinFunctions.HELLO, memory, CHUNK);
    w.commit(manifest).orElseThrow().close();
  }

  @AfterEach
  void stop() throws Exception {
    if (server != null) {
      server.close();
    }
    cache.close();
  }

  private PeerServer start(PeerTokens tokens, HeldChunks chunks, int uploads) throws IOException {
    server =
        PeerServer.builder("node-a", tokens, chunks).maxUploads(uploads).meters(meters).start();
    return server;
  }

  private PeerServer start() throws IOException {
    return start(PeerTokens.of(PEER), new CachedChunks(cache, meters), 4);
  }

  private HttpResponse<byte[]> get(String path, Optional<BearerToken> token) throws Exception {
    HttpRequest.Builder r =
        HttpRequest.newBuilder(URI.create(server.uri() + path)).timeout(Duration.ofSeconds(30));
    token.ifPresent(t -> r.header("Authorization", t.authorization()));
    return http.send(r.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private HttpResponse<byte[]> chunk(String sha256) throws Exception {
    return get("/peer/chunks/" + sha256, Optional.of(PEER));
  }

  private static String sha(byte[] data, int from, int to) {
    byte[] part = Arrays.copyOfRange(data, from, to);
    return Digests.sha256(part, 0, part.length);
  }

  private double uploads(String outcome) {
    return meters.counter("thaw.peer.uploads", "outcome", outcome).count();
  }

  @Test
  void aHeldChunkIsExactlyItsBytes() throws Exception {
    start();
    String second = sha(memory, CHUNK, 2 * CHUNK);
    assertThat(manifest.chunks()).containsKey(second);

    HttpResponse<byte[]> r = chunk(second);

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/octet-stream");
    assertThat(r.body()).isEqualTo(Arrays.copyOfRange(memory, CHUNK, 2 * CHUNK));
    byte[] state = "state of r1".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    assertThat(chunk(sha(state, 0, state.length)).body()).isEqualTo(state);
    assertThat(uploads("served")).isEqualTo(2);
    assertThat(meters.counter("thaw.peer.upload.bytes").count()).isEqualTo(CHUNK + state.length);
  }

  @Test
  void aBatchAnswersEachChunkAskedInOrderHeldOrNot() throws Exception {
    start();
    String first = sha(memory, 0, CHUNK);
    String third = sha(memory, 2 * CHUNK, 3 * CHUNK);
    String notHeld = "e".repeat(64);

    HttpResponse<byte[]> r =
        get("/peer/chunks?d=" + third + "," + notHeld + "," + first, Optional.of(PEER));

    assertThat(r.statusCode()).isEqualTo(200);
    List<java.util.Optional<byte[]>> got =
        ChunkBatch.decode(r.body(), List.of(CHUNK, CHUNK, CHUNK)).orElseThrow();
    assertThat(got.get(0))
        .hasValueSatisfying(
            b -> assertThat(b).isEqualTo(Arrays.copyOfRange(memory, 2 * CHUNK, 3 * CHUNK)));
    assertThat(got.get(1)).isEmpty();
    assertThat(got.get(2))
        .hasValueSatisfying(b -> assertThat(b).isEqualTo(Arrays.copyOfRange(memory, 0, CHUNK)));
    assertThat(uploads("served")).isEqualTo(2);
    assertThat(uploads("missing")).isEqualTo(1);
    // A reader expecting other lengths, or fewer chunks, takes nothing of it.
    assertThat(ChunkBatch.decode(r.body(), List.of(CHUNK, CHUNK, CHUNK - 1))).isEmpty();
    assertThat(ChunkBatch.decode(r.body(), List.of(CHUNK, CHUNK))).isEmpty();

    // Without the peer token nothing; too many names, or one that is not a SHA-256, is a 400.
    assertThat(get("/peer/chunks?d=" + first, Optional.empty()).statusCode()).isEqualTo(401);
    String tooMany =
        String.join(",", java.util.Collections.nCopies(PeerServer.MAX_BATCH + 1, first));
    assertThat(get("/peer/chunks?d=" + tooMany, Optional.of(PEER)).statusCode()).isEqualTo(400);
    assertThat(get("/peer/chunks?d=" + first + ",xyz", Optional.of(PEER)).statusCode())
        .isEqualTo(400);
    assertThat(get("/peer/chunks", Optional.of(PEER)).statusCode()).isEqualTo(400);
  }

  @Test
  void onlyThePeerTokenReads() throws Exception {
    start();
    String held = sha(memory, 0, CHUNK);
    for (Optional<BearerToken> who :
        List.of(
            Optional.<BearerToken>empty(),
            Optional.of(MANAGEMENT),
            Optional.of(BearerToken.generate()))) {
      for (String path : List.of("/peer/chunks/" + held, "/peer/snapshots", "/peer/chunks/x")) {
        HttpResponse<byte[]> r = get(path, who);
        assertThat(r.statusCode()).as(path + " with " + who).isEqualTo(401);
        assertThat(r.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
        assertThat(new String(r.body())).doesNotContain("state of");
      }
    }
    assertThat(uploads("refused")).isEqualTo(9);
    assertThat(uploads("served")).isZero();
  }

  @Test
  void aNameThatIsNotASha256IsABadRequest() throws Exception {
    start();
    String held = sha(memory, 0, CHUNK);
    for (String bad :
        List.of("abc", held.toUpperCase(java.util.Locale.ROOT), held + "0", "..%2F..%2Fetc", "")) {
      assertThat(chunk(bad).statusCode()).as(bad).isEqualTo(400);
    }
  }

  @Test
  void aChunkNotHeldIsNotFound() throws Exception {
    start();
    assertThat(chunk("0".repeat(64)).statusCode()).isEqualTo(404);
    assertThat(uploads("missing")).isEqualTo(1);
  }

  @Test
  void theSnapshotsHeldAreListed() throws Exception {
    start();
    HttpResponse<byte[]> r = get("/peer/snapshots", Optional.of(PEER));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(new String(r.body())).isEqualTo("{\"node\":\"node-a\",\"revisions\":[\"r1\"]}");
  }

  /** An entry "r2" of the same memory whose working pages are pages 0 and 2. */
  private SnapshotManifest entryWithWorkingPages() throws Exception {
    return entryWithWorkingPages(0, 2);
  }

  /** An entry "r2" of the same memory whose working pages are {@code pages} (chunk-sized). */
  private SnapshotManifest entryWithWorkingPages(int... pages) throws Exception {
    var w = cache.begin("r2", memory.length + 100).orElseThrow();
    java.util.BitSet set = new java.util.BitSet();
    java.security.MessageDigest sha = Digests.newSha256();
    for (int p : pages) {
      set.set(p);
      sha.update(memory, p * CHUNK, CHUNK);
    }
    SnapshotManifest m =
        SnapshotFixtures.chunked(w.dir(), "r2", BuiltinFunctions.HELLO, memory, CHUNK)
            .withWorkingSet(
                java.util.Arrays.stream(pages).boxed().toList(),
                new WorkingPages(WorkingPages.runsOf(set), Digests.hex(sha)));
    w.commit(m).orElseThrow().close();
    return m;
  }

  @Test
  void aStartIsTheManifestTheWorkingPagesAndTheStateInOneAnswer() throws Exception {
    SnapshotManifest m = entryWithWorkingPages();
    start();

    HttpResponse<byte[]> r = get("/peer/starts/r2", Optional.of(PEER));

    assertThat(r.statusCode()).isEqualTo(200);
    StartBundle got = StartBundle.read(new java.io.ByteArrayInputStream(r.body()), memory.length);
    assertThat(new String(got.manifest(), java.nio.charset.StandardCharsets.UTF_8))
        .isEqualTo(SnapshotManifestCodec.write(m));
    byte[] pages = new byte[got.pages().remaining()];
    got.pages().duplicate().get(pages);
    byte[] wanted = new byte[2 * CHUNK];
    System.arraycopy(memory, 0, wanted, 0, CHUNK);
    System.arraycopy(memory, 2 * CHUNK, wanted, CHUNK, CHUNK);
    assertThat(pages).isEqualTo(wanted);
    byte[] state = "state of r2".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    assertThat(got.chunks()).containsOnlyKeys(sha(state, 0, state.length));
    assertThat(got.chunks().get(sha(state, 0, state.length))).isEqualTo(state);
    assertThat(uploads("served")).isEqualTo(1);
    assertThat(meters.counter("thaw.peer.upload.bytes").count()).isEqualTo(r.body().length);
  }

  @Test
  void aStartKeptEncodedIsServedOnlyWhileItsEntryIsTheCommittedOne() throws Exception {
    entryWithWorkingPages(0, 2);
    start();
    byte[] first = get("/peer/starts/r2", Optional.of(PEER)).body();
    assertThat(get("/peer/starts/r2", Optional.of(PEER)).body()).isEqualTo(first);

    cache.remove("r2");
    assertThat(get("/peer/starts/r2", Optional.of(PEER)).statusCode()).isEqualTo(404);

    // A later entry of the revision, other working pages: its own start, not the one kept.
    SnapshotManifest later = entryWithWorkingPages(1);
    HttpResponse<byte[]> r = get("/peer/starts/r2", Optional.of(PEER));
    assertThat(r.statusCode()).isEqualTo(200);
    StartBundle got = StartBundle.read(new java.io.ByteArrayInputStream(r.body()), memory.length);
    assertThat(new String(got.manifest(), java.nio.charset.StandardCharsets.UTF_8))
        .isEqualTo(SnapshotManifestCodec.write(later));
    assertThat(got.pages()).isEqualTo(ByteBuffer.wrap(memory, CHUNK, CHUNK));
    assertThat(uploads("served")).isEqualTo(3);
  }

  @Test
  void aStartIsServedOnlyWithThePeerTokenAndOnlyOfAnEntryWithWorkingPages() throws Exception {
    entryWithWorkingPages();
    start();
    for (Optional<BearerToken> who :
        List.of(Optional.<BearerToken>empty(), Optional.of(MANAGEMENT))) {
      HttpResponse<byte[]> r = get("/peer/starts/r2", who);
      assertThat(r.statusCode()).isEqualTo(401);
      assertThat(new String(r.body())).doesNotContain("state of");
    }
    assertThat(get("/peer/starts/r1", Optional.of(PEER)).statusCode())
        .as("no working pages recorded")
        .isEqualTo(404);
    assertThat(get("/peer/starts/none", Optional.of(PEER)).statusCode()).isEqualTo(404);
    assertThat(get("/peer/starts/UPPER", Optional.of(PEER)).statusCode()).isEqualTo(400);
  }

  @Test
  void aStartWithADamagedStateChunkIsNotServedAndItsEntryIsDropped() throws Exception {
    entryWithWorkingPages();
    start();
    try (RandomAccessFile f =
        new RandomAccessFile(root.resolve("cache/entries/r2/state").toFile(), "rw")) {
      f.seek(2);
      f.write('X');
    }
    assertThat(get("/peer/starts/r2", Optional.of(PEER)).statusCode()).isEqualTo(404);
    assertThat(cache.revisions()).containsExactly("r1");
  }

  @Test
  void aDamagedCopyIsNotServedAndItsEntryIsDropped() throws Exception {
    start();
    String third = sha(memory, 2 * CHUNK, 3 * CHUNK);
    try (RandomAccessFile f =
        new RandomAccessFile(root.resolve("cache/entries/r1/memory").toFile(), "rw")) {
      f.seek(2 * CHUNK + 10);
      f.write(memory[2 * CHUNK + 10] ^ 1);
    }

    assertThat(chunk(third).statusCode()).isEqualTo(404);
    assertThat(meters.counter("thaw.snapshot.cache.corrupt", "found", "peer").count()).isEqualTo(1);
    assertThat(cache.acquire("r1")).as("a damaged entry restores no more").isEmpty();
    assertThat(cache.revisions()).isEmpty();
    assertThat(chunk(sha(memory, 0, CHUNK)).statusCode()).isEqualTo(404);
  }

  @Test
  void uploadsBeyondTheBoundAreToldToComeBack() throws Exception {
    CountDownLatch entered = new CountDownLatch(2);
    CountDownLatch release = new CountDownLatch(1);
    CachedChunks real = new CachedChunks(cache, meters);
    HeldChunks held =
        new HeldChunks() {
          @Override
          public Optional<byte[]> read(String sha256) throws IOException {
            entered.countDown();
            try {
              release.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            return real.read(sha256);
          }

          @Override
          public List<String> revisions() {
            return real.revisions();
          }
        };
    start(PeerTokens.of(PEER), held, 2);
    String first = sha(memory, 0, CHUNK);
    List<CompletableFuture<HttpResponse<byte[]>>> held2 =
        List.of(
            CompletableFuture.supplyAsync(() -> quietly(first)),
            CompletableFuture.supplyAsync(() -> quietly(first)));
    assertThat(entered.await(60, TimeUnit.SECONDS)).isTrue();

    HttpResponse<byte[]> third = chunk(first);
    assertThat(third.statusCode()).isEqualTo(503);
    assertThat(third.headers().firstValue("Retry-After")).hasValue("1");
    assertThat(uploads("busy")).isEqualTo(1);

    release.countDown();
    for (var f : held2) {
      assertThat(f.get(60, TimeUnit.SECONDS).body()).isEqualTo(Arrays.copyOf(memory, CHUNK));
    }
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> chunk(first).statusCode() == 200);
  }

  private HttpResponse<byte[]> quietly(String sha256) {
    try {
      return chunk(sha256);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void duringARotationBothTokensReadAndTheFirstIsSent() throws Exception {
    BearerToken next = BearerToken.generate();
    PeerTokens both = PeerTokens.parse(next.value() + "\n" + PEER.value() + "\n");
    assertThat(both.current().value()).isEqualTo(next.value());
    start(both, new CachedChunks(cache, meters), 4);
    String held = sha(memory, 0, CHUNK);
    assertThat(get("/peer/chunks/" + held, Optional.of(PEER)).statusCode()).isEqualTo(200);
    assertThat(get("/peer/chunks/" + held, Optional.of(next)).statusCode()).isEqualTo(200);
    assertThat(get("/peer/chunks/" + held, Optional.of(MANAGEMENT)).statusCode()).isEqualTo(401);
  }
}
