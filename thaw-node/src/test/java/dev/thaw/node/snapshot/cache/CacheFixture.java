package dev.thaw.node.snapshot.cache;

import dev.thaw.core.cache.CacheIndex;
import dev.thaw.core.cache.InMemoryCacheAdvertiser;
import dev.thaw.core.function.BuiltinFunctions;
import dev.thaw.core.io.Digests;
import dev.thaw.core.snapshot.SnapshotFile;
import dev.thaw.core.snapshot.SnapshotFixtures;
import dev.thaw.core.snapshot.SnapshotManifest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A node's cache for the cache tests: opened on a test's directory, advertising as node "a" into an
 * in-memory advertiser, with a clock whose every reading is later than the one before (no sleeping
 * needed), and whole-file snapshots to put in it.
 */
final class CacheFixture {
  final InMemoryCacheAdvertiser ads = new InMemoryCacheAdvertiser();
  final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final AtomicLong ticks = new AtomicLong();

  LocalSnapshotCache open(Path root, long capacity) throws Exception {
    return LocalSnapshotCache.open(
        root,
        CacheIndex.builder().capacityBytes(capacity).clock(ticks::incrementAndGet).build(),
        ads.forNode("a"),
        SnapshotFixtures.HOST,
        meters);
  }

  /** Writes a snapshot of {@code bytes} bytes through a writer and commits it. */
  static CachedSnapshot put(LocalSnapshotCache cache, String revision, int bytes) throws Exception {
    var w = cache.begin(revision, bytes).orElseThrow();
    Path f = Files.write(w.dir().resolve("state"), new byte[bytes]);
    return w.commit(manifest(revision, f)).orElseThrow();
  }

  /** A format-1 manifest of {@code revision} whose one file is {@code state}. */
  static SnapshotManifest manifest(String revision, Path state) throws Exception {
    return SnapshotFixtures.manifest(
        revision,
        BuiltinFunctions.HELLO,
        SnapshotManifest.WHOLE_FILE_FORMAT,
        List.of(
            SnapshotFile.whole(
                "state", SnapshotFile.Role.STATE, Files.size(state), Digests.sha256(state))));
  }
}
