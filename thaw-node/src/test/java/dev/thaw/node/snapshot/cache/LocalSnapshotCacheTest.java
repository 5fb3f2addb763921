package dev.thaw.node.snapshot.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.thaw.core.cache.CacheIndex;
import dev.thaw.core.cache.InMemoryCacheAdvertiser;
import dev.thaw.core.function.BuiltinFunctions;
import dev.thaw.core.io.Digests;
import dev.thaw.core.snapshot.SnapshotFile;
import dev.thaw.core.snapshot.SnapshotFixtures;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotMismatchException;
import dev.thaw.core.vmm.VmmIdentity;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Opening a cache directory (one owner at a time) and admitting entries: atomic, verified. */
class LocalSnapshotCacheTest {
  private static final VmmIdentity HOST = SnapshotFixtures.HOST;

  @TempDir Path root;
  private final InMemoryCacheAdvertiser ads = new InMemoryCacheAdvertiser();
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

  /** The cache index's clock: every reading is later than the one before, no sleeping needed. */
  private final AtomicLong ticks = new AtomicLong();

  private LocalSnapshotCache open(long capacity) throws Exception {
    return LocalSnapshotCache.open(
        root,
        CacheIndex.builder().capacityBytes(capacity).clock(ticks::incrementAndGet).build(),
        ads.forNode("a"),
        HOST,
        meters);
  }

  /** Writes a snapshot of {@code bytes} bytes through a writer and commits it. */
  private static CachedSnapshot put(LocalSnapshotCache cache, String revision, int bytes)
      throws Exception {
    var w = cache.begin(revision, bytes).orElseThrow();
    Path f = Files.write(w.dir().resolve("state"), new byte[bytes]);
    return w.commit(manifest(revision, f)).orElseThrow();
  }

  private static SnapshotManifest manifest(String revision, Path state) throws Exception {
    return SnapshotFixtures.manifest(
        revision,
        BuiltinFunctions.HELLO,
        SnapshotManifest.WHOLE_FILE_FORMAT,
        List.of(
            SnapshotFile.whole(
                "state", SnapshotFile.Role.STATE, Files.size(state), Digests.sha256(state))));
  }

  @Test
  void commitPublishesAtomicallyAndAdvertises() throws Exception {
    LocalSnapshotCache cache = open(1000);
    var w = cache.begin("r1", 100).orElseThrow();
    Files.write(w.dir().resolve("state"), new byte[100]);
    assertThat(Files.exists(root.resolve("entries/r1"))).isFalse();
    assertThat(ads.revisions("a")).isEmpty();
    try (CachedSnapshot s = w.commit(manifest("r1", w.dir().resolve("state"))).orElseThrow()) {
      assertThat(s.dir()).isEqualTo(root.resolve("entries/r1"));
      assertThat(s.dir().resolve("manifest.json")).exists();
    }
    assertThat(ads.revisions("a")).containsExactly("r1");
  }

  @Test
  void aFileThatDoesNotMatchItsManifestNeverEntersTheCache() throws Exception {
    LocalSnapshotCache cache = open(1000);
    var w = cache.begin("r1", 100).orElseThrow();
    Path f = Files.write(w.dir().resolve("state"), new byte[100]);
    SnapshotManifest m = manifest("r1", f);
    Files.write(f, new byte[] {1, 2, 3});
    assertThatThrownBy(() -> w.commit(m)).isInstanceOf(SnapshotMismatchException.class);
    assertThat(cache.revisions()).isEmpty();
    assertThat(cache.usedBytes()).isZero();
    try (var left = Files.list(root.resolve("incoming"))) {
      assertThat(left).isEmpty();
    }
  }

  @Test
  void aSecondOwnerOfTheDirectoryIsRefused() throws Exception {
    LocalSnapshotCache first = open(1000);
    assertThatThrownBy(() -> open(1000))
        .isInstanceOf(java.io.IOException.class)
        .hasMessageContaining("in use by another process");
    first.close();
    open(1000).close();
  }
}
