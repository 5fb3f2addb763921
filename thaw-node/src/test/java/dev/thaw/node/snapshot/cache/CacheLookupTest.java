package dev.thaw.node.snapshot.cache;

import static dev.thaw.node.snapshot.cache.CacheFixture.put;
import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.core.cache.InMemoryCacheAdvertiser;
import dev.thaw.core.function.BuiltinFunctions;
import dev.thaw.core.snapshot.SnapshotFixtures;
import dev.thaw.core.snapshot.SnapshotManifest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An entry is served only as it was verified: checked at start, fingerprinted, dropped if changed.
 */
class CacheLookupTest {
  @TempDir Path root;
  private final CacheFixture fixture = new CacheFixture();
  private final InMemoryCacheAdvertiser ads = fixture.ads;
  private final SimpleMeterRegistry meters = fixture.meters;

  private LocalSnapshotCache open(long capacity) throws Exception {
    return fixture.open(root, capacity);
  }

  /** Commits a snapshot whose memory file holds {@code text}, in format 2. */
  private CachedSnapshot putMemory(LocalSnapshotCache cache, String revision, String text)
      throws Exception {
    byte[] memory = new byte[64 << 10];
    byte[] t = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    System.arraycopy(t, 0, memory, 4096, t.length);
    var w = cache.begin(revision, memory.length + 100).orElseThrow();
    SnapshotManifest m =
        SnapshotFixtures.chunked(w.dir(), revision, BuiltinFunctions.HELLO, memory, 4096);
    return w.commit(m).orElseThrow();
  }

  private double corrupt(String found) {
    return meters.counter("thaw.snapshot.cache.corrupt", "found", found).count();
  }

  @Test
  void anEntryWhoseContentDiffersFromItsManifestIsNeverServed() throws Exception {
    LocalSnapshotCache cache = open(1000);
    put(cache, "r1", 100).close();
    put(cache, "r2", 100).close();
    cache.close();
    // Same size, other bytes: only the digests tell.
    byte[] flipped = new byte[100];
    flipped[42] = 1;
    Files.write(root.resolve("entries/r1/state"), flipped);

    LocalSnapshotCache again = open(1000);
    assertThat(again.acquire("r1")).as("checked before it is first served").isEmpty();
    // Dropped by whichever check (this restore's or the background's) lets go of it last.
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(10))
        .until(() -> again.revisions().equals(Set.of("r2")));
    try (CachedSnapshot sound = again.acquire("r2").orElseThrow()) {
      assertThat(sound.revision()).isEqualTo("r2");
    }
    again.close();
  }

  @Test
  void entriesFoundAtStartAreCheckedInTheBackground() throws Exception {
    LocalSnapshotCache cache = open(1000);
    put(cache, "r1", 100).close();
    cache.close();
    Files.write(root.resolve("entries/r1/state"), new byte[100 - 1]);
    Files.write(
        root.resolve("entries/r1/state"), new byte[] {7}, java.nio.file.StandardOpenOption.APPEND);

    LocalSnapshotCache again = open(1000);
    // Nobody asks for r1: the background check still finds it and drops it.
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(10))
        .until(() -> again.revisions().isEmpty());
    assertThat(root.resolve("entries/r1")).doesNotExist();
    assertThat(meters.timer("thaw.snapshot.cache.verify").count()).isEqualTo(1);
    again.close();
  }

  @Test
  void anEntryWrittenInPlaceAfterItsCommitIsDroppedInsteadOfServed() throws Exception {
    LocalSnapshotCache cache = open(1 << 20);
    putMemory(cache, "r1", "the function says hello").close();
    putMemory(cache, "r2", "the function says hello").close();
    cache.acquire("r1").orElseThrow().close();

    // A string replaced in place, the modification time set back: size, inode, mtime as before.
    Tampering.rewriteInPlace(root.resolve("entries/r1/memory"), "hello", "HELLO");

    assertThat(cache.acquire("r1")).isEmpty();
    assertThat(cache.revisions()).containsExactly("r2");
    assertThat(root.resolve("entries/r1")).doesNotExist();
    assertThat(corrupt("stat")).isEqualTo(1);
    assertThat(ads.revisions("a")).containsExactly("r2");
    try (CachedSnapshot untouched = cache.acquire("r2").orElseThrow()) {
      assertThat(untouched.revision()).isEqualTo("r2");
    }
    assertThat(corrupt("stat")).isEqualTo(1);
    cache.close();
  }

  @Test
  void anEntryWrittenAfterTheCheckAtStartIsDroppedInsteadOfServed() throws Exception {
    LocalSnapshotCache first = open(1 << 20);
    putMemory(first, "r1", "the function says hello").close();
    first.close();
    LocalSnapshotCache cache = open(1 << 20);
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(10))
        .until(() -> meters.timer("thaw.snapshot.cache.verify").count() == 1);
    cache.acquire("r1").orElseThrow().close();

    Tampering.rewriteInPlace(root.resolve("entries/r1/memory"), "hello", "HELLO");

    assertThat(cache.acquire("r1")).isEmpty();
    assertThat(cache.revisions()).isEmpty();
    assertThat(corrupt("stat")).isEqualTo(1);
    cache.close();
  }

  @Test
  void anEntryFoundChangedWhileARestoreHoldsItIsServedNoMoreAndDroppedOnceLetGo() throws Exception {
    LocalSnapshotCache cache = open(1 << 20);
    putMemory(cache, "r1", "the function says hello").close();
    CachedSnapshot inUse = cache.acquire("r1").orElseThrow();

    Tampering.rewriteInPlace(root.resolve("entries/r1/memory"), "hello", "HELLO");

    assertThat(cache.acquire("r1")).isEmpty();
    assertThat(cache.revisions()).as("pinned: not deleted under the restore").containsExactly("r1");
    String chunk =
        inUse.manifest().files().get(0).chunks().sha256().stream()
            .filter(java.util.Objects::nonNull)
            .findFirst()
            .orElseThrow();
    try (LocalChunks lent = cache.localChunks(Set.of(chunk))) {
      assertThat(lent.size()).as("lends no chunks either").isZero();
    }
    inUse.close();
    assertThat(cache.acquire("r1")).isEmpty();
    assertThat(cache.revisions()).isEmpty();
    assertThat(corrupt("stat")).as("counted once").isEqualTo(1);
    cache.close();
  }

  @Test
  void aSecondNameOfAFileRemovedAfterTheCommitLeavesTheEntryServed() throws Exception {
    LocalSnapshotCache cache = open(1 << 20);
    // As a fetch does when QEMU was started on the memory file under an early name.
    byte[] memory = new byte[64 << 10];
    memory[4096] = 'h';
    var w = cache.begin("r1", memory.length + 100).orElseThrow();
    SnapshotManifest m =
        SnapshotFixtures.chunked(w.dir(), "r1", BuiltinFunctions.HELLO, memory, 4096);
    Path early = Files.createLink(root.resolve("incoming/r1.early"), w.dir().resolve("memory"));
    w.commitChecked(m).orElseThrow().close();
    Tampering.awaitTimestampTick(early);
    Files.delete(early);

    cache.acquire("r1").orElseThrow().close();
    cache.acquire("r1").orElseThrow().close();
    assertThat(corrupt("stat")).isZero();

    Tampering.rewriteInPlace(root.resolve("entries/r1/memory"), "h", "H");
    assertThat(cache.acquire("r1")).as("a write after that still shows").isEmpty();
    assertThat(corrupt("stat")).isEqualTo(1);
    cache.close();
  }
}
