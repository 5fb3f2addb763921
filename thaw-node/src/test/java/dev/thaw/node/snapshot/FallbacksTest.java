package dev.thaw.node.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.core.cache.CacheIndex;
import dev.thaw.core.cache.InMemoryCacheAdvertiser;
import dev.thaw.core.function.BuiltinFunctions;
import dev.thaw.core.io.Digests;
import dev.thaw.core.snapshot.GuestMismatchException;
import dev.thaw.core.snapshot.MalformedManifestException;
import dev.thaw.core.snapshot.SnapshotFile;
import dev.thaw.core.snapshot.SnapshotFixtures;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.vmm.RestoreCorruptException;
import dev.thaw.core.vmm.VmmException;
import dev.thaw.node.snapshot.cache.CacheWriteException;
import dev.thaw.node.snapshot.cache.LocalSnapshotCache;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reason each failure of a snapshot path gives, and which failures drop the cached entry. */
class FallbacksTest {
  private static final SnapshotManifest.Guest A =
      new SnapshotManifest.Guest("a".repeat(64), "b".repeat(64));
  private static final SnapshotManifest.Guest C =
      new SnapshotManifest.Guest("c".repeat(64), "b".repeat(64));

  @TempDir Path root;
  private LocalSnapshotCache cache;
  private Fallbacks fallbacks;

  @BeforeEach
  void open() throws Exception {
    cache =
        LocalSnapshotCache.open(
            root,
            CacheIndex.builder().capacityBytes(1000).build(),
            new InMemoryCacheAdvertiser().forNode("a"),
            SnapshotFixtures.HOST,
            new SimpleMeterRegistry());
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    fallbacks =
        new Fallbacks(
            cache,
            new DeadSnapshots(
                cache, Optional.empty(), Runnable::run, new SnapshotMetrics(meters), d -> {}));
    var w = cache.begin("r1", 100).orElseThrow();
    Path state = Files.write(w.dir().resolve("state"), new byte[100]);
    w.commit(
            SnapshotFixtures.manifest(
                "r1",
                BuiltinFunctions.HELLO,
                SnapshotManifest.WHOLE_FILE_FORMAT,
                List.of(
                    SnapshotFile.whole(
                        "state", SnapshotFile.Role.STATE, 100, Digests.sha256(state)))))
        .orElseThrow()
        .close();
  }

  @AfterEach
  void close() throws Exception {
    cache.close();
  }

  @Test
  void unreachableStorageAndUnwritableCacheKeepTheEntry() {
    assertThat(fallbacks.reason("r1", new IOException("connection refused")))
        .isEqualTo("remote storage unusable: connection refused");
    assertThat(
            fallbacks.reason(
                "r1", new CacheWriteException("write", root.resolve("x"), new IOException("full"))))
        .startsWith("local cache unusable: ");
    assertThat(fallbacks.reason("r1", new MalformedManifestException("bad json", null)))
        .isEqualTo("snapshot refused: bad json");
    assertThat(fallbacks.reason("r1", new VmmException("qemu exited", null, null, null)))
        .startsWith("restore failed: qemu exited");
    assertThat(fallbacks.reason("r1", new IllegalStateException("bug")))
        .isEqualTo("unexpected error: java.lang.IllegalStateException: bug");
    assertThat(cache.revisions()).containsExactly("r1");
  }

  @Test
  void aSnapshotOfAnotherGuestIsDropped() {
    assertThat(fallbacks.reason("r1", new GuestMismatchException(A, C)))
        .startsWith("snapshot refused: snapshot made for guest kernel aaaaaaaaaaaa");
    assertThat(cache.revisions()).isEmpty();
  }

  @Test
  void aCorruptSnapshotIsDroppedForARefetch() {
    assertThat(
            fallbacks.reason(
                "r1", new RestoreCorruptException("memory file truncated", null, null, null)))
        .startsWith("restore failed: memory file truncated");
    assertThat(cache.revisions()).isEmpty();
  }
}
