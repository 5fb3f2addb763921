package dev.thaw.node.snapshot.cache;

import static dev.thaw.node.snapshot.cache.CacheFixture.manifest;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.thaw.core.cache.InMemoryCacheAdvertiser;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotMismatchException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Opening a cache directory (one owner at a time) and admitting entries: atomic, verified. */
class LocalSnapshotCacheTest {
  @TempDir Path root;
  private final CacheFixture fixture = new CacheFixture();
  private final InMemoryCacheAdvertiser ads = fixture.ads;
  private final SimpleMeterRegistry meters = fixture.meters;

  private LocalSnapshotCache open(long capacity) throws Exception {
    return fixture.open(root, capacity);
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
