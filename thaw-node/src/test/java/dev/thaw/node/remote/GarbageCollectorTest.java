package dev.thaw.node.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.thaw.core.function.BuiltinFunctions;
import dev.thaw.core.function.FunctionImage;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.io.Digests;
import dev.thaw.core.snapshot.GcReport;
import dev.thaw.core.snapshot.SnapshotFile;
import dev.thaw.core.snapshot.SnapshotFixtures;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.store.InMemoryObjectStore;
import dev.thaw.core.time.ManualClock;
import dev.thaw.image.FilesystemFormat;
import dev.thaw.image.ImageConfig;
import dev.thaw.image.RootImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Garbage collection on an in-memory object store, with a manual clock for ages and the lock's TTL,
 * and uploads interleaved with it at chosen points.
 */
class GarbageCollectorTest {
  private static final int CHUNK = 64 << 10;

  @TempDir Path tmp;
  private final ManualClock clock = new ManualClock(Instant.parse("2025-03-01T00:00:00Z"));
  private final InMemoryObjectStore objects = new InMemoryObjectStore(clock);
  private final RemoteSnapshotStore store =
      RemoteSnapshotStore.builder(objects)
          .clock(clock)
          .lockTtl(Duration.ofMinutes(15))
          .lockPoll(Duration.ofMillis(5))
          .build();
  private final ExecutorService pool = Executors.newSingleThreadExecutor();

  @AfterEach
  void close() {
    pool.shutdownNow();
    store.close();
  }

  private SnapshotManifest snapshot(String revision, byte[] memory) throws IOException {
    return SnapshotFixtures.chunked(
        tmp.resolve(revision), revision, BuiltinFunctions.STATEFUL, memory, CHUNK);
  }

  private SnapshotManifest upload(String revision, byte[] memory) throws IOException {
    SnapshotManifest m = snapshot(revision, memory);
    store.upload(m, tmp.resolve(revision));
    return m;
  }

  private Future<?> uploadInBackground(SnapshotManifest m) {
    return pool.submit(
        () -> {
          store.upload(m, tmp.resolve(m.revision()));
          return null;
        });
  }

  private static byte[] random(int chunks, long seed) {
    byte[] memory = new byte[chunks * CHUNK];
    new Random(seed).nextBytes(memory);
    return memory;
  }

  private GcReport collect(Duration unusedFor) throws IOException {
    return store.collectGarbage(unusedFor, phase -> {});
  }

  private void assertAllChunksStored(SnapshotManifest m) throws IOException {
    for (SnapshotFile f : m.files()) {
      for (int i = 0; i < f.chunks().sha256().size(); i++) {
        String d = f.chunks().sha256().get(i);
        if (d != null) {
          int length = f.chunks().length(i, f.size());
          assertThat(Digests.sha256(store.chunk(d, length).data(), 0, length))
              .as("chunk %d of %s", i, f.name())
              .isEqualTo(d);
        }
      }
    }
  }

  @Test
  void deletesUnreferencedChunksOnly() throws Exception {
    byte[] memory = random(8, 1);
    SnapshotManifest a = upload("fn-a", memory);
    memory[0] ^= 1;
    upload("fn-b", memory);

    GcReport nothing = collect(null);
    assertThat(nothing.chunksDeleted()).isZero();
    assertThat(nothing.chunksKept()).isEqualTo(8 + 1 + 2);

    store.delete("fn-b");
    GcReport report = collect(null);
    assertThat(report.chunksDeleted()).isEqualTo(2); // its first memory chunk and its state
    assertThat(report.bytesFreed()).isPositive();
    assertThat(objects.list("_chunks/")).hasSize(9);
    assertAllChunksStored(a);
    assertThat(objects.keys()).doesNotContain("_gc.lock");
  }

  @Test
  void expiresRevisionsByTheLaterOfTheirUploadAndTheirLastUse() throws Exception {
    upload("fn-old", random(2, 2));
    SnapshotManifest used = upload("fn-used", random(2, 3));
    clock.advance(Duration.ofDays(9));
    store.markUsed("fn-used");
    upload("fn-new", random(2, 4));
    clock.advance(Duration.ofDays(2));

    GcReport report = collect(Duration.ofDays(10));
    assertThat(report.expiredRevisions()).containsExactly("fn-old");
    assertThat(report.chunksDeleted()).isEqualTo(3);
    assertThat(store.revisions()).containsExactly("fn-new", "fn-used");
    assertAllChunksStored(used);

    clock.advance(Duration.ofDays(8)); // fn-used last used 10 days ago, fn-new uploaded 10 ago
    assertThat(collect(Duration.ofDays(10)).expiredRevisions()).isEmpty();
    clock.advance(Duration.ofSeconds(1));
    assertThat(collect(Duration.ofDays(10)).expiredRevisions())
        .containsExactly("fn-new", "fn-used");
    assertThat(objects.keys()).isEmpty();
  }

  @Test
  void aFreshLockRefusesASecondCollectionAndAStaleOneIsIgnored() throws Exception {
    objects.put("_gc.lock", new byte[0]); // another collection, started now
    assertThatThrownBy(() -> collect(null))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("another garbage collection holds _gc.lock");
    assertThat(objects.keys()).contains("_gc.lock");

    clock.advance(Duration.ofMinutes(14));
    assertThatThrownBy(() -> collect(null)).hasMessageContaining("another garbage collection");
    clock.advance(Duration.ofMinutes(1)); // 15 minutes: left by a crash
    assertThat(collect(null).chunksDeleted()).isZero();
    assertThat(objects.keys()).doesNotContain("_gc.lock");
  }

  @Test
  void anUploadWaitsForAFreshLockAndIgnoresItOnceStale() throws Exception {
    objects.put("_gc.lock", new byte[0]);
    // Two checks that found the lock held: the upload looked again after its first wait, and
    // waits still, with nothing past the lock begun.
    CountDownLatch checkedTwice = new CountDownLatch(2);
    List<String> phases = new CopyOnWriteArrayList<>();
    store.onUploadPhase(
        phase -> {
          phases.add(phase);
          if (phase.equals("waiting-for-gc")) {
            checkedTwice.countDown();
          }
        });
    Future<?> upload = uploadInBackground(snapshot("fn-a", random(2, 5)));
    assertThat(checkedTwice.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(phases).as("phases while locked").containsOnly("waiting-for-gc");
    assertThat(upload).isNotDone();
    assertThat(objects.list("_chunks/")).as("no chunk checked or sent while locked").isEmpty();

    clock.advance(Duration.ofMinutes(15));
    upload.get(10, TimeUnit.SECONDS);
    assertThat(store.revisions()).containsExactly("fn-a");
  }

  @Test
  void anAbandonedUploadRecordStopsProtectingItsChunksAfterADay() throws Exception {
    SnapshotManifest m = snapshot("fn-a", random(2, 6));
    objects.intercept(
        (op, key) -> {
          if (key.equals("fn-a/manifest.json") && op == InMemoryObjectStore.Operation.PUT) {
            throw new IOException("injected: the uploader died");
          }
        });
    assertThatThrownBy(() -> store.upload(m, tmp.resolve("fn-a"))).hasMessageContaining("died");
    objects.intercept((op, key) -> {});

    GcReport kept = collect(null);
    assertThat(kept.chunksDeleted()).isZero();
    assertThat(kept.chunksKept()).isEqualTo(3);
    clock.advance(Duration.ofHours(25));
    assertThat(collect(null).chunksDeleted()).isEqualTo(3);
    assertThat(objects.list("_chunks/")).isEmpty();
    assertThat(objects.list("_uploads/")).isEmpty();
  }

  /**
   * An upload whose chunks are all in storage (but referenced by no manifest: garbage) stops after
   * finding them present and before writing its manifest; a whole collection runs meanwhile. Only
   * the upload's record protects those chunks.
   */
  @Test
  void aCollectionKeepsTheChunksOfAnUploadBetweenItsChunksAndItsManifest() throws Exception {
    SnapshotManifest m = upload("fn-a", random(8, 7));
    store.delete("fn-a");
    CountDownLatch stored = new CountDownLatch(1);
    CountDownLatch proceed = new CountDownLatch(1);
    store.onUploadPhase(
        phase -> {
          if (phase.equals("chunks-stored")) {
            stored.countDown();
            awaitQuietly(proceed);
          }
        });
    Future<?> upload = uploadInBackground(m);
    assertThat(stored.await(10, TimeUnit.SECONDS)).isTrue();

    GcReport report = collect(null);
    proceed.countDown();
    upload.get(10, TimeUnit.SECONDS);

    assertThat(report.chunksDeleted()).as("chunks of an upload in progress").isZero();
    assertThat(store.revisions()).containsExactly("fn-a");
    assertAllChunksStored(m);
  }

  /**
   * A collection has read the upload records (none) and is about to sweep when an upload starts
   * whose chunks are all garbage in storage. Only the lock protects them: the upload must not rely
   * on a chunk being present until the collection ends.
   */
  @Test
  void anUploadStartedAfterTheCollectionReadTheRecordsWaitsForIt() throws Exception {
    SnapshotManifest m = upload("fn-a", random(8, 8));
    store.delete("fn-a");
    CountDownLatch waiting = new CountDownLatch(1);
    store.onUploadPhase(
        phase -> {
          if (phase.equals("waiting-for-gc")) {
            waiting.countDown();
          }
        });
    Future<?>[] upload = new Future<?>[1];
    GcReport report =
        store.collectGarbage(
            null,
            phase -> {
              if (phase.startsWith("read 0 uploads")) {
                upload[0] = uploadInBackground(m);
                untilWaitingOrDone(waiting, upload[0]);
              }
            });
    upload[0].get(10, TimeUnit.SECONDS);

    assertThat(report.chunksDeleted())
        .as("the garbage the upload had not yet relied on")
        .isEqualTo(9);
    assertThat(store.revisions()).containsExactly("fn-a");
    assertAllChunksStored(m);
  }

  /** The collection at each of its phases while an upload of garbage chunks starts. */
  @Test
  void anUploadStartingAtAnyPhaseOfACollectionKeepsAllItsChunks() throws Exception {
    SnapshotManifest m = snapshot("fn-a", random(8, 9));
    List<String> phases = List.of("locked", "expired", "read", "read", "deleted");
    for (int at = 0; at < phases.size(); at++) {
      store.upload(m, tmp.resolve("fn-a"));
      store.delete("fn-a");
      int phase = at;
      int[] seen = {0};
      Future<?>[] upload = new Future<?>[1];
      CountDownLatch waiting = new CountDownLatch(1);
      store.onUploadPhase(
          p -> {
            if (p.equals("waiting-for-gc")) {
              waiting.countDown();
            }
          });
      store.collectGarbage(
          null,
          p -> {
            if (seen[0]++ == phase) {
              upload[0] = uploadInBackground(m);
              untilWaitingOrDone(waiting, upload[0]);
            }
          });
      upload[0].get(10, TimeUnit.SECONDS);
      assertThat(store.revisions()).as("after phase %s", phases.get(at)).containsExactly("fn-a");
      assertAllChunksStored(m);
    }
  }

  /**
   * Returns once {@code upload} has recorded itself and waits on the lock ({@code waiting} is
   * open), or, were it not to wait, has finished; fails after 10 s of neither.
   */
  private static void untilWaitingOrDone(CountDownLatch waiting, Future<?> upload) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (waiting.getCount() > 0 && !upload.isDone()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the upload neither waits on the lock nor has finished");
      }
      sleepQuietly(2);
    }
  }

  private static void sleepQuietly(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Test
  void aRootImageGoesOnceNoSnapshotNamesItAndItsGraceHasPassed() throws Exception {
    String a = "sha256:" + "aa".repeat(32);
    String b = "sha256:" + "bb".repeat(32);
    RemoteRootImages images = store.rootImages();
    images.upload(rootImage(a, 11));
    images.upload(rootImage(b, 12));
    FunctionSpec fromA =
        FunctionSpec.ofImage(
            "web", 256, 1, FunctionImage.of(Path.of("/images/a.ext4"), a, List.of("/f"), 8080));
    SnapshotManifest m =
        SnapshotFixtures.chunked(tmp.resolve("web-1"), "web-1", fromA, random(2, 13), CHUNK);
    store.upload(m, tmp.resolve("web-1"));

    // Young images stay whether or not a snapshot names them.
    collect(null);
    assertThat(images.find(a, FilesystemFormat.EROFS)).isPresent();
    assertThat(images.find(b, FilesystemFormat.EROFS)).isPresent();

    clock.advance(GarbageCollector.ABANDONED_UPLOAD.plusHours(1));
    List<String> phases = new ArrayList<>();
    store.collectGarbage(null, phases::add);
    assertThat(phases).contains("expired 1 root images");
    assertThat(images.find(a, FilesystemFormat.EROFS)).as("named by web-1's snapshot").isPresent();
    assertThat(images.find(b, FilesystemFormat.EROFS)).as("named by nothing").isEmpty();
    images.download(images.find(a, FilesystemFormat.EROFS).orElseThrow(), tmp.resolve("a.img"));

    // The function is deleted: its snapshot goes at once, its image at the next collection.
    store.delete("web-1");
    collect(null);
    assertThat(images.find(a, FilesystemFormat.EROFS)).isEmpty();
    assertThat(objects.keys()).noneMatch(k -> k.startsWith(RemoteKeys.CHUNKS));
  }

  private RootImage rootImage(String digest, long seed) throws IOException {
    byte[] content = random(2, seed);
    Path file = Files.write(tmp.resolve(digest.substring(7, 15) + ".img"), content);
    return new RootImage(
        digest,
        file,
        content.length,
        FilesystemFormat.EROFS,
        new ImageConfig(List.of("/f"), List.of(), List.of(), "/", "", Set.of(8080)));
  }
}
