package dev.thaw.node.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.thaw.core.function.BuiltinFunctions;
import dev.thaw.core.io.Digests;
import dev.thaw.core.snapshot.PackIndex;
import dev.thaw.core.snapshot.SnapshotFile;
import dev.thaw.core.snapshot.SnapshotFixtures;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotManifestCodec;
import dev.thaw.core.snapshot.SnapshotMismatchException;
import dev.thaw.core.snapshot.SnapshotStore.FetchedChunk;
import dev.thaw.core.store.InMemoryObjectStore;
import dev.thaw.core.store.InMemoryObjectStore.Operation;
import dev.thaw.core.time.ManualClock;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The remote-snapshot protocol on an in-memory object store: uploads, reads and marks. */
class RemoteSnapshotStoreTest {
  static final int CHUNK = 64 << 10;

  @TempDir Path tmp;
  private final ManualClock clock = new ManualClock(Instant.parse("2025-03-01T00:00:00Z"));
  private final InMemoryObjectStore objects = new InMemoryObjectStore(clock);
  private final RemoteSnapshotStore store = RemoteSnapshotStore.builder(objects).build();

  @AfterEach
  void close() {
    store.close();
  }

  static byte[] random(int chunks, long seed) {
    byte[] memory = new byte[chunks * CHUNK];
    new Random(seed).nextBytes(memory);
    return memory;
  }

  SnapshotManifest upload(String revision, byte[] memory) throws IOException {
    Path dir = tmp.resolve(revision);
    SnapshotManifest m =
        SnapshotFixtures.chunked(dir, revision, BuiltinFunctions.STATEFUL, memory, CHUNK);
    store.upload(m, dir);
    return m;
  }

  /** Keys written by PUTs from now on. */
  private List<String> recordPuts() {
    List<String> puts = Collections.synchronizedList(new ArrayList<>());
    objects.intercept(
        (op, key) -> {
          if (op == Operation.PUT) {
            puts.add(key);
          }
        });
    return puts;
  }

  private static String memoryChunk(SnapshotManifest m, int i) {
    return m.file(SnapshotFile.Role.MEMORY).orElseThrow().chunks().sha256().get(i);
  }

  @Test
  void writesTheKeyLayoutExistingStoresUse() throws Exception {
    byte[] memory = random(2, 1);
    SnapshotManifest m = upload("fn-1", memory);
    List<String> expected = new ArrayList<>();
    for (String digest : m.chunks().keySet()) {
      expected.add("_chunks/" + digest.substring(0, 2) + "/" + digest);
    }
    expected.addAll(
        List.of("fn-1/_pack", "fn-1/_pack.json", "fn-1/_manifest.sha256", "fn-1/manifest.json"));
    assertThat(objects.keys()).containsExactlyInAnyOrderElementsOf(expected);
    byte[] stored = objects.get("fn-1/manifest.json").orElseThrow();
    String json = new String(stored, StandardCharsets.UTF_8);
    assertThat(SnapshotManifestCodec.read(json, SnapshotFixtures.HOST)).isEqualTo(m);
    // The manifest's digest, kept beside it for checking a copy a peer hands over.
    String digest = dev.thaw.core.io.Digests.sha256(stored, 0, stored.length);
    assertThat(
            new String(objects.get("fn-1/_manifest.sha256").orElseThrow(), StandardCharsets.UTF_8))
        .isEqualTo(digest);
    assertThat(store.manifestSha256("fn-1")).hasValue(digest);
    assertThat(store.manifestSha256("fn-2")).isEmpty();
    assertThat(store.revisions()).containsExactly("fn-1");
  }

  @Test
  void aSecondUploadSendsOnlyTheChunksTheStoreLacks() throws Exception {
    byte[] memory = random(16, 2);
    Arrays.fill(memory, 4 * CHUNK, 12 * CHUNK, (byte) 0); // 8 zero chunks: never stored
    Arrays.fill(memory, 12 * CHUNK, 16 * CHUNK, (byte) 'x'); // 4 equal chunks: stored once
    List<String> puts = recordPuts();
    upload("fn-1", memory);
    // 4 random + 1 repeated + 1 state chunk.
    assertThat(puts.stream().filter(k -> k.startsWith("_chunks/"))).hasSize(6);

    puts.clear();
    memory[0] ^= 1;
    SnapshotManifest second = upload("fn-2", memory);
    // Its first memory chunk and its state differ; the other 4 chunks are already stored.
    assertThat(puts.stream().filter(k -> k.startsWith("_chunks/")))
        .containsExactlyInAnyOrder(
            RemoteKeys.chunk(memoryChunk(second, 0)),
            RemoteKeys.chunk(
                second.file(SnapshotFile.Role.STATE).orElseThrow().chunks().sha256().get(0)));
    assertThat(objects.list("_chunks/")).hasSize(8);
    assertThat(store.revisions()).containsExactly("fn-1", "fn-2");
  }

  @Test
  void packRunsComeBackVerifiedAndACorruptedFrameEmptyAndUnverified() throws Exception {
    byte[] memory = random(4, 3);
    SnapshotManifest m = upload("fn-1", memory);
    PackIndex index = store.packIndex("fn-1").orElseThrow();
    List<PackIndex.Entry> run = index.entries();
    List<Integer> lengths = Collections.nCopies(run.size(), CHUNK);
    List<Integer> actual = new ArrayList<>(lengths);
    actual.set(run.size() - 1, ("state of fn-1").length());

    long before = store.receivedBytes();
    List<FetchedChunk> intact = store.packChunks("fn-1", run, actual);
    assertThat(intact).allMatch(FetchedChunk::verified);
    assertThat(intact.get(0).data()).isEqualTo(Arrays.copyOfRange(memory, 0, CHUNK));
    long packBytes = run.get(run.size() - 1).end() - run.get(0).offset();
    assertThat(intact.get(0).storedBytes()).isEqualTo(packBytes);
    assertThat(store.receivedBytes() - before).isEqualTo(packBytes);

    // One byte of the second frame changes in storage: only that chunk is refused.
    byte[] pack = objects.get("fn-1/_pack").orElseThrow();
    pack[(int) run.get(1).offset() + 7] ^= 1;
    objects.put("fn-1/_pack", pack);
    List<FetchedChunk> damaged = store.packChunks("fn-1", run, actual);
    assertThat(damaged.get(1).verified()).isFalse();
    assertThat(damaged.get(1).data()).isEmpty();
    assertThat(damaged.get(0).verified()).isTrue();
    assertThat(damaged.get(2).data()).isEqualTo(Arrays.copyOfRange(memory, 2 * CHUNK, 3 * CHUNK));

    // Entries written before stored digests were recorded: decoded, left to the caller to check.
    List<PackIndex.Entry> old =
        run.stream()
            .map(e -> new PackIndex.Entry(e.sha256(), e.offset(), e.length(), null))
            .toList();
    FetchedChunk unchecked = store.packChunks("fn-1", old, actual).get(0);
    assertThat(unchecked.verified()).isFalse();
    assertThat(unchecked.data()).isEqualTo(Arrays.copyOfRange(memory, 0, CHUNK));
    assertThat(memoryChunk(m, 0)).isEqualTo(run.get(0).sha256());
  }

  @Test
  void anUnreadablePackIndexIsNoPack() throws Exception {
    upload("fn-1", random(1, 4));
    objects.put("fn-1/_pack.json", "not json".getBytes(StandardCharsets.UTF_8));
    assertThat(store.packIndex("fn-1")).isEmpty();
    assertThat(store.packIndex("absent")).isEmpty();
  }

  @Test
  void aChunkThatDoesNotDecodeIsAMismatchAndAMissingOneAnIoError() throws Exception {
    SnapshotManifest m = upload("fn-1", random(2, 5));
    String first = memoryChunk(m, 0);
    FetchedChunk good = store.chunk(first, CHUNK);
    assertThat(good.verified()).isFalse();
    assertThat(Digests.sha256(good.data(), 0, CHUNK)).isEqualTo(first);

    objects.put(RemoteKeys.chunk(first), "not zstd".getBytes(StandardCharsets.UTF_8));
    assertThatThrownBy(() -> store.chunk(first, CHUNK))
        .isInstanceOf(SnapshotMismatchException.class)
        .hasMessageContaining("does not decode");
    // A valid frame of another length.
    String second = memoryChunk(m, 1);
    objects.put(RemoteKeys.chunk(second), new ChunkCodec(3).encode(new byte[100]));
    assertThatThrownBy(() -> store.chunk(second, CHUNK))
        .isInstanceOf(SnapshotMismatchException.class)
        .hasMessageContaining("decodes to 100 bytes");
    assertThatThrownBy(() -> store.chunk("ab".repeat(32), CHUNK))
        .isInstanceOf(IOException.class)
        .isNotInstanceOf(SnapshotMismatchException.class)
        .hasMessageContaining("missing from in-memory object store");
  }

  @Test
  void wholeFilesRoundTripInRangesAndAChangedFileIsRefused() throws Exception {
    byte[] memory = random(5, 6);
    Arrays.fill(memory, CHUNK, 3 * CHUNK, (byte) 0);
    Path dir = tmp.resolve("a");
    SnapshotManifest chunked =
        SnapshotFixtures.chunked(dir, "fn-1", BuiltinFunctions.STATEFUL, memory, CHUNK);
    try (RemoteSnapshotStore whole =
        RemoteSnapshotStore.builder(objects).rangeBytes(CHUNK).wholeFiles(true).build()) {
      whole.upload(chunked, dir);
      assertThat(objects.keys())
          .containsExactly(
              "fn-1/_manifest.sha256", "fn-1/manifest.json", "fn-1/memory", "fn-1/state");
      SnapshotManifest m = SnapshotManifestCodec.parse(whole.manifest("fn-1").orElseThrow());
      assertThat(m.formatVersion()).isEqualTo(SnapshotManifest.WHOLE_FILE_FORMAT);
      Path out = Files.createDirectories(tmp.resolve("out"));
      SnapshotFile file = m.file(SnapshotFile.Role.MEMORY).orElseThrow();
      whole.download("fn-1", file, out.resolve("memory"));
      assertThat(Files.readAllBytes(out.resolve("memory"))).isEqualTo(memory);
      assertThat(whole.receivedBytes()).isEqualTo(memory.length);

      memory[4 * CHUNK] ^= 1;
      objects.put("fn-1/memory", memory);
      assertThatThrownBy(() -> whole.download("fn-1", file, out.resolve("memory")))
          .isInstanceOf(SnapshotMismatchException.class)
          .hasMessageContaining("fn-1/memory has sha256");
    }
  }

  @Test
  void deleteRemovesTheRevisionsObjectsAndMarksButNotItsChunks() throws Exception {
    upload("fn-1", random(2, 7));
    store.markUsed("fn-1");
    store.markUnusable("fn-1", Instant.parse("2025-02-01T00:00:00Z"));
    store.delete("fn-1");
    assertThat(store.manifest("fn-1")).isEmpty();
    assertThat(store.revisions()).isEmpty();
    assertThat(objects.keys()).allMatch(k -> k.startsWith("_chunks/")).hasSize(3);
  }

  @Test
  void unusableMarksNameTheDeadSnapshotAndAForeignMarkIsIgnored() throws Exception {
    assertThat(store.unusable("fn-1")).isEmpty();
    Instant created = Instant.parse("2025-02-01T12:00:00Z");
    store.markUnusable("fn-1", created);
    assertThat(store.unusable("fn-1")).contains(created);
    assertThat(objects.get("_unusable/fn-1").orElseThrow())
        .asString(StandardCharsets.UTF_8)
        .isEqualTo("2025-02-01T12:00:00Z");
    objects.put("_unusable/fn-1", "yesterday".getBytes(StandardCharsets.UTF_8));
    assertThat(store.unusable("fn-1")).isEmpty();
  }

  @Test
  void aFailedManifestWriteLeavesNoRevision() throws Exception {
    objects.intercept(
        (op, key) -> {
          if (op == Operation.PUT && key.endsWith("/manifest.json")) {
            throw new IOException("injected: storage refused " + key);
          }
        });
    assertThatThrownBy(() -> upload("fn-1", random(2, 8)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("injected");
    objects.intercept((op, key) -> {});
    assertThat(store.revisions()).isEmpty();
    assertThat(store.manifest("fn-1")).isEmpty();
    // Its record stays, so a collection keeps its chunks until the record is abandoned.
    assertThat(objects.list("_uploads/")).hasSize(1);
  }
}
