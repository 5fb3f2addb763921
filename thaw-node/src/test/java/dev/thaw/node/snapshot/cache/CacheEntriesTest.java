package dev.thaw.node.snapshot.cache;

import static dev.thaw.node.snapshot.cache.CacheFixture.put;
import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.core.cache.InMemoryCacheAdvertiser;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The committed entries: taken back at start only when sound, evicted and removed only unpinned.
 */
class CacheEntriesTest {
  @TempDir Path root;
  private final CacheFixture fixture = new CacheFixture();
  private final InMemoryCacheAdvertiser ads = fixture.ads;
  private final SimpleMeterRegistry meters = fixture.meters;

  private LocalSnapshotCache open(long capacity) throws Exception {
    return fixture.open(root, capacity);
  }

  @Test
  void evictionDeletesTheLeastRecentlyUsedEntry() throws Exception {
    LocalSnapshotCache cache = open(250);
    put(cache, "r1", 100).close();
    put(cache, "r2", 100).close();
    cache.acquire("r1").orElseThrow().close();
    put(cache, "r3", 100).close();
    assertThat(cache.revisions()).containsExactlyInAnyOrder("r1", "r3");
    assertThat(root.resolve("entries/r2")).doesNotExist();
    assertThat(ads.revisions("a")).isEqualTo(Set.of("r1", "r3"));
    assertThat(meters.counter("thaw.snapshot.evictions").count()).isEqualTo(1);
  }

  @Test
  void restartKeepsCompleteEntriesAndDeletesPartialOnes() throws Exception {
    LocalSnapshotCache first = open(1000);
    put(first, "r1", 100).close();
    // What a process killed midway leaves: a half-written incoming directory, and an entry
    // directory whose manifest is missing or whose files are short.
    Files.write(
        Files.createDirectories(root.resolve("incoming/r2.123")).resolve("state"), new byte[7]);
    Files.write(Files.createDirectories(root.resolve("entries/r3")).resolve("state"), new byte[7]);
    put(first, "r4", 100).close();
    Files.write(root.resolve("entries/r4/state"), new byte[50]);

    first.close();
    LocalSnapshotCache second = open(1000);
    assertThat(second.revisions()).containsExactly("r1");
    try (CachedSnapshot recovered = second.acquire("r1").orElseThrow()) {
      assertThat(recovered.dir()).isEqualTo(root.resolve("entries/r1"));
    }
    assertThat(second.usedBytes()).isEqualTo(100);
    assertThat(root.resolve("entries/r3")).doesNotExist();
    assertThat(root.resolve("entries/r4")).doesNotExist();
    try (var left = Files.list(root.resolve("incoming"))) {
      assertThat(left).isEmpty();
    }
    assertThat(ads.revisions("a")).containsExactly("r1");
  }

  @Test
  void aPinnedEntryIsNeitherEvictedNorRemoved() throws Exception {
    LocalSnapshotCache cache = open(150);
    CachedSnapshot pinned = put(cache, "r1", 100);
    assertThat(cache.begin("r2", 100)).isEmpty();
    assertThat(cache.remove("r1")).isFalse();
    pinned.close();
    assertThat(cache.remove("r1")).isTrue();
    assertThat(root.resolve("entries/r1")).doesNotExist();
    assertThat(meters.counter("thaw.snapshot.evictions").count())
        .as("a removal on request is not an eviction")
        .isZero();
    assertThat(cache.acquire("r1")).isEmpty();
  }

  @Test
  void anEntryHoldingAnotherRevisionsManifestIsDroppedAtStart() throws Exception {
    LocalSnapshotCache cache = open(1000);
    put(cache, "hello", 100).close();
    cache.close();
    // Someone copied hello's entry under another name.
    Path wrong = root.resolve("entries/l-wrongrev");
    Files.createDirectories(wrong);
    for (Path f : Files.list(root.resolve("entries/hello")).toList()) {
      Files.copy(f, wrong.resolve(f.getFileName()));
    }
    LocalSnapshotCache again = open(1000);
    assertThat(again.revisions()).containsExactly("hello");
    assertThat(again.acquire("l-wrongrev")).isEmpty();
    assertThat(wrong).doesNotExist();
    again.close();
  }
}
