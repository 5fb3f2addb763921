package dev.thaw.node.snapshot.restore;

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
import dev.thaw.node.snapshot.cache.CachedSnapshot;
import dev.thaw.node.snapshot.cache.LocalSnapshotCache;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Who owns a remote restore's files: a cache entry until committed, scratch space until closed. */
class FetchTargetTest {
  @TempDir Path root;
  private LocalSnapshotCache cache;
  private FetchTargets targets;

  @BeforeEach
  void open() throws Exception {
    cache =
        LocalSnapshotCache.open(
            root.resolve("cache"),
            CacheIndex.builder().capacityBytes(1000).build(),
            new InMemoryCacheAdvertiser().forNode("a"),
            SnapshotFixtures.HOST,
            new SimpleMeterRegistry());
    targets = new FetchTargets(cache, root.resolve("scratch"));
  }

  @AfterEach
  void close() throws Exception {
    cache.close();
  }

  /** Writes a 100-byte state file into {@code target} and returns its manifest. */
  private static SnapshotManifest write(String revision, FetchTarget target) throws Exception {
    Path state = Files.write(target.dir().resolve("state"), new byte[100]);
    return SnapshotFixtures.manifest(
        revision,
        BuiltinFunctions.HELLO,
        SnapshotManifest.WHOLE_FILE_FORMAT,
        List.of(SnapshotFile.whole("state", SnapshotFile.Role.STATE, 100, Digests.sha256(state))));
  }

  @Test
  void anEntryCompletedJoinsTheCachePinnedForTheRestoreAndStaysWhenClosed() throws Exception {
    Optional<CachedSnapshot> done;
    try (FetchTarget target = targets.entry("r1", 100).orElseThrow()) {
      done = target.complete(write("r1", target));
    }
    assertThat(done).isPresent();
    assertThat(cache.revisions()).containsExactly("r1");
    assertThat(cache.remove("r1")).as("pinned until the restore lets go").isFalse();
    done.get().close();
    assertThat(cache.acquire("r1")).isPresent();
  }

  @Test
  void anEntryClosedBeforeItsCommitLeavesNothingAndGivesItsRoomBack() throws Exception {
    try (FetchTarget target = targets.entry("r1", 100).orElseThrow()) {
      write("r1", target);
      assertThat(cache.usedBytes()).isEqualTo(100);
    }
    assertThat(cache.revisions()).isEmpty();
    assertThat(cache.usedBytes()).isZero();
    assertThat(list(root.resolve("cache/incoming"))).isEmpty();
  }

  @Test
  void anEntryLargerThanTheCacheIsRefused() throws Exception {
    assertThat(targets.entry("r1", 2000)).isEmpty();
  }

  @Test
  void scratchFilesServeOneRestoreAndGoWhenClosed() throws Exception {
    Path dir;
    try (FetchTarget.Scratch target = targets.scratch("r1")) {
      dir = target.dir();
      assertThat(dir.getParent()).isEqualTo(root.resolve("scratch"));
      try (CachedSnapshot s = target.complete(write("r1", target)).orElseThrow()) {
        assertThat(s.dir()).isEqualTo(dir);
      }
      assertThat(cache.revisions()).isEmpty();
    }
    assertThat(dir).doesNotExist();
  }

  @Test
  void scratchFilesOfTheWrongSizeDoNotComplete() throws Exception {
    try (FetchTarget.Scratch target = targets.scratch("r1")) {
      SnapshotManifest m = write("r1", target);
      Files.write(target.dir().resolve("state"), new byte[99]);
      assertThatThrownBy(() -> target.complete(m)).isInstanceOf(SnapshotMismatchException.class);
    }
  }

  private static List<Path> list(Path dir) throws Exception {
    try (Stream<Path> files = Files.list(dir)) {
      return files.toList();
    }
  }
}
