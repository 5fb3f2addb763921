package dev.thaw.node.snapshot.fill;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import dev.thaw.core.function.BuiltinFunctions;
import dev.thaw.core.io.Digests;
import dev.thaw.core.snapshot.PackIndex;
import dev.thaw.core.snapshot.SnapshotFile;
import dev.thaw.core.snapshot.SnapshotFixtures;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotManifestCodec;
import dev.thaw.core.snapshot.SnapshotMismatchException;
import dev.thaw.core.snapshot.SnapshotStore;
import dev.thaw.core.snapshot.WorkingPages;
import dev.thaw.core.store.InMemoryObjectStore;
import dev.thaw.node.remote.RemoteSnapshotStore;
import dev.thaw.node.snapshot.cache.LocalChunks;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link LazyFill} over a remote store in memory: reads of chunks not yet written wait for them and
 * get the right bytes, the finished files match the manifest, and a failing store makes reads fail
 * instead of hang.
 */
class LazyFillTest {
  private static final int CHUNK = 64 << 10;

  @TempDir Path tmp;
  private final InMemoryObjectStore objects = new InMemoryObjectStore();
  private final RemoteSnapshotStore store = RemoteSnapshotStore.builder(objects).build();

  /** 48 chunks of random memory with every third chunk zero, uploaded; its working set: 5, 40. */
  private SnapshotManifest upload(byte[] memory) throws IOException {
    new Random(7).nextBytes(memory);
    for (int c = 0; c < memory.length / CHUNK; c += 3) {
      Arrays.fill(memory, c * CHUNK, (c + 1) * CHUNK, (byte) 0);
    }
    SnapshotManifest m =
        SnapshotFixtures.chunked(tmp.resolve("made"), "fn", BuiltinFunctions.HELLO, memory, CHUNK)
            .withWorkingSet(List.of(5, 40), null);
    store.upload(m, tmp.resolve("made"));
    return m;
  }

  /** Pages 83 and 84 (in chunk 5) and 640..642 (chunk 40) as the working pages of {@code m}. */
  private SnapshotManifest withPages(SnapshotManifest m, byte[] memory) throws IOException {
    return withPages(m, memory, List.of(5, 40));
  }

  /** The same pages, with {@code firstTouch} as the chunks the first clone read. */
  private SnapshotManifest withPages(SnapshotManifest m, byte[] memory, List<Integer> firstTouch)
      throws IOException {
    BitSet pages = new BitSet();
    pages.set(83, 85);
    pages.set(640, 643);
    MessageDigest sha = Digests.newSha256();
    for (int p = pages.nextSetBit(0); p >= 0; p = pages.nextSetBit(p + 1)) {
      sha.update(memory, p * WorkingPages.PAGE, WorkingPages.PAGE);
    }
    SnapshotManifest with =
        m.withWorkingSet(
            firstTouch, new WorkingPages(WorkingPages.runsOf(pages), Digests.hex(sha)));
    store.delete("fn");
    store.upload(with, tmp.resolve("made"));
    return with;
  }

  private LazyFill fill(SnapshotManifest m, Path dir, Optional<PackIndex> pack) throws IOException {
    long memorySize = m.file(SnapshotFile.Role.MEMORY).orElseThrow().size();
    return fill(m, dir, pack, LazyFill.askForPages(store, "fn", memorySize, Runnable::run));
  }

  /** A fill whose working pages were asked for as {@code pagesFetch}. */
  private LazyFill fill(
      SnapshotManifest m,
      Path dir,
      Optional<PackIndex> pack,
      CompletableFuture<Optional<SnapshotStore.FetchedPages>> pagesFetch)
      throws IOException {
    Files.createDirectories(dir);
    ChunkAssembler.allocate(m, dir);
    return new LazyFill(m, dir, LocalChunks.none(), store, pack, pagesFetch, 2, waited -> {});
  }

  @Test
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  void readsGetTheirBytesAndTheFinishedFilesMatchTheManifest() throws Exception {
    byte[] memory = new byte[48 * CHUNK];
    SnapshotManifest m = upload(memory);
    Path dir = tmp.resolve("lazy");
    try (LazyFill fill = fill(m, dir, store.packIndex("fn"))) {
      // Reads across chunk borders, from the end backwards, while the fill runs.
      for (long at = memory.length - 100_000; at > 0; at -= 300_000) {
        ByteBuffer b = ByteBuffer.allocate(100_000);
        assertThat(fill.memory().read(at, b)).isEqualTo(100_000);
        assertThat(b.array()).isEqualTo(Arrays.copyOfRange(memory, (int) at, (int) at + 100_000));
      }
      fill.priority().get(10, TimeUnit.SECONDS);
      fill.fetchRest();
      ChunkAssembler.Transfer t = fill.done().get(10, TimeUnit.SECONDS);
      assertThat(t.fetchedChunks()).isEqualTo(m.chunks().size());
      SnapshotManifestCodec.verifyFiles(m, dir);
      fill.release();
    }
  }

  @Test
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  void untilTheRestIsLetGoOnlyTheWorkingSetAndReadChunksAreFetched() throws Exception {
    byte[] memory = new byte[48 * CHUNK];
    SnapshotManifest m = upload(memory);
    Path dir = tmp.resolve("gated");
    try (LazyFill fill = fill(m, dir, store.packIndex("fn"))) {
      fill.priority().get(10, TimeUnit.SECONDS);
      ByteBuffer b = ByteBuffer.allocate(4096);
      assertThat(fill.memory().read(20L * CHUNK + 8192, b)).isEqualTo(4096);
      assertThat(b.array())
          .isEqualTo(Arrays.copyOfRange(memory, 20 * CHUNK + 8192, 20 * CHUNK + 8192 + 4096));
      // The device state and chunks 5 and 40, then chunk 20 for the read: nothing else yet.
      assertThat(fill.transfer().fetchedChunks()).isEqualTo(fill.priorityChunks() + 1);
      assertThat(fill.done()).isNotDone();

      fill.fetchRest();
      ChunkAssembler.Transfer t = fill.done().get(10, TimeUnit.SECONDS);
      assertThat(t.fetchedChunks()).isEqualTo(m.chunks().size());
      SnapshotManifestCodec.verifyFiles(m, dir);
      fill.release();
    }
  }

  @Test
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  void workingPagesComeInOneObjectAndTheirReadsNeverWait() throws Exception {
    byte[] memory = new byte[48 * CHUNK];
    SnapshotManifest m = withPages(upload(memory), memory);
    assertThat(objects.get("fn/_pages")).isPresent();
    try (LazyFill fill = fill(m, tmp.resolve("paged"), store.packIndex("fn"))) {
      fill.priority().get(10, TimeUnit.SECONDS);
      // Only the device state's chunk before the guest resumes; the pages came as one object.
      assertThat(fill.priorityChunks()).isEqualTo(1);
      assertThat(fill.transfer().fetchedChunks()).isEqualTo(1);
      assertThat(fill.pagesFetchedBytes()).isPositive();
      assertThat(fill.workingSetRanges())
          .extracting(r -> r[0] / WorkingPages.PAGE, r -> r[1] / WorkingPages.PAGE)
          .containsExactly(tuple(83L, 2L), tuple(640L, 3L));
      ByteBuffer b = ByteBuffer.allocate(3 * WorkingPages.PAGE);
      assertThat(fill.memory().read(640L * WorkingPages.PAGE, b)).isEqualTo(b.capacity());
      assertThat(b.array())
          .isEqualTo(Arrays.copyOfRange(memory, 640 * WorkingPages.PAGE, 643 * WorkingPages.PAGE));
      assertThat(fill.waits()).isZero();
      // A page beside them waits for its whole chunk.
      ByteBuffer next = ByteBuffer.allocate(WorkingPages.PAGE);
      fill.memory().read(85L * WorkingPages.PAGE, next);
      assertThat(next.array())
          .isEqualTo(Arrays.copyOfRange(memory, 85 * WorkingPages.PAGE, 86 * WorkingPages.PAGE));
      assertThat(fill.waits()).isEqualTo(1);
      fill.fetchRest();
      fill.done().get(10, TimeUnit.SECONDS);
      SnapshotManifestCodec.verifyFiles(m, tmp.resolve("paged"));
      fill.release();
    }
  }

  @Test
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  void corruptWorkingPagesGiveWayToTheChunksTheyLieIn() throws Exception {
    byte[] memory = new byte[48 * CHUNK];
    SnapshotManifest m = withPages(upload(memory), memory);
    byte[] stored = objects.get("fn/_pages").orElseThrow();
    objects.put("fn/_pages", Arrays.copyOf(stored, stored.length / 2));
    try (LazyFill fill = fill(m, tmp.resolve("fallback"), store.packIndex("fn"))) {
      fill.priority().get(10, TimeUnit.SECONDS);
      // The device state and chunks 5 and 40 instead.
      assertThat(fill.priorityChunks()).isEqualTo(3);
      assertThat(fill.transfer().fetchedChunks()).isEqualTo(3);
      assertThat(fill.workingSetRanges())
          .extracting(r -> r[0])
          .containsExactly(5L * CHUNK, 40L * CHUNK);
      fill.fetchRest();
      fill.done().get(10, TimeUnit.SECONDS);
      SnapshotManifestCodec.verifyFiles(m, tmp.resolve("fallback"));
      fill.release();
    }
  }

  @Test
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  void pagesAskedForBeforeTheManifestAreUsedWhenTheyMatchItAndOtherwiseGiveWay() throws Exception {
    byte[] memory = new byte[48 * CHUNK];
    SnapshotManifest m = withPages(upload(memory), memory);
    // Asked for as a lazy restore does, before the manifest is known: bounded by the memory size.
    CompletableFuture<Optional<SnapshotStore.FetchedPages>> early =
        CompletableFuture.completedFuture(store.workingPages("fn", memory.length));
    try (LazyFill fill = fill(m, tmp.resolve("early"), Optional.empty(), early)) {
      fill.priority().get(10, TimeUnit.SECONDS);
      assertThat(fill.priorityChunks()).isEqualTo(1);
      assertThat(fill.pagesFetchedBytes()).isEqualTo(early.get().orElseThrow().storedBytes());
      ByteBuffer b = ByteBuffer.allocate(2 * WorkingPages.PAGE);
      fill.memory().read(83L * WorkingPages.PAGE, b);
      assertThat(b.array())
          .isEqualTo(Arrays.copyOfRange(memory, 83 * WorkingPages.PAGE, 85 * WorkingPages.PAGE));
      assertThat(fill.waits()).isZero();
      fill.fetchRest();
      fill.done().get(10, TimeUnit.SECONDS);
      fill.release();
    }
    // A frame larger than the bound is refused before it is decoded.
    assertThatThrownBy(() -> store.workingPages("fn", 4 * WorkingPages.PAGE))
        .isInstanceOf(SnapshotMismatchException.class)
        .hasMessageContaining("at most");
    // Pages of another length than the manifest's give way to the chunks they lie in.
    CompletableFuture<Optional<SnapshotStore.FetchedPages>> wrong =
        CompletableFuture.completedFuture(
            Optional.of(
                new SnapshotStore.FetchedPages(ByteBuffer.allocate(WorkingPages.PAGE), 10)));
    Path other = tmp.resolve("early-wrong");
    try (LazyFill fill = fill(m, other, Optional.empty(), wrong)) {
      fill.priority().get(10, TimeUnit.SECONDS);
      assertThat(fill.priorityChunks()).isEqualTo(3);
      fill.fetchRest();
      fill.done().get(10, TimeUnit.SECONDS);
      SnapshotManifestCodec.verifyFiles(m, other);
      fill.release();
    }
  }

  @Test
  void theWorkingSetIsAFileOfTheManifestThatRoundTrips() {
    byte[] memory = new byte[48 * CHUNK];
    try {
      SnapshotManifest m = upload(memory);
      SnapshotManifest read = SnapshotManifestCodec.parse(SnapshotManifestCodec.write(m));
      assertThat(read.file(SnapshotFile.Role.MEMORY).orElseThrow().chunks().firstTouch())
          .containsExactly(5, 40);
      assertThat(read).isEqualTo(m);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void aStoreThatStopsMidFillFailsWaitingReadsAndTheFill() throws Exception {
    byte[] memory = new byte[48 * CHUNK];
    SnapshotManifest m = upload(memory);
    Optional<PackIndex> pack = store.packIndex("fn");
    AtomicBoolean down = new AtomicBoolean();
    objects.intercept(
        (op, key) -> {
          if (down.get()) {
            throw new IOException("storage unreachable");
          }
        });
    down.set(true);
    try (LazyFill fill = fill(m, tmp.resolve("broken"), pack)) {
      // The store's failure, passed on: a read left to wait for its chunk would fail instead with
      // the READ_WAIT timeout, which says "not there within".
      assertThatThrownBy(() -> fill.memory().read(40L * CHUNK, ByteBuffer.allocate(4096)))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("storage unreachable")
          .hasMessageNotContaining("not there within");
      assertThatThrownBy(() -> fill.done().join())
          .isInstanceOf(CompletionException.class)
          .hasRootCauseMessage("storage unreachable");
    }
  }

  @Test
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  void theWorkingPagesReceivedArePreloadedUntilTheRestIsLetGo() throws Exception {
    byte[] memory = new byte[48 * CHUNK];
    SnapshotManifest m = withPages(upload(memory), memory);
    try (LazyFill fill = fill(m, tmp.resolve("preloaded"), store.packIndex("fn"))) {
      fill.priority().get(10, TimeUnit.SECONDS);
      RecordingFileServer storing = new RecordingFileServer(true);
      fill.preload(storing, "mem");
      assertThat(storing.stored.keySet())
          .containsExactly(83L * WorkingPages.PAGE, 640L * WorkingPages.PAGE);
      assertThat(storing.readAhead).isEmpty();
      // Past the go-ahead the bytes received are gone: the same ranges are read ahead.
      fill.fetchRest();
      RecordingFileServer late = new RecordingFileServer(true);
      fill.preload(late, "mem");
      assertThat(late.stored).isEmpty();
      assertThat(late.readAhead)
          .extracting(r -> r[0] / WorkingPages.PAGE, r -> r[1] / WorkingPages.PAGE)
          .containsExactly(tuple(83L, 2L), tuple(640L, 3L));
      fill.done().get(10, TimeUnit.SECONDS);
      fill.release();
    }
  }
}
