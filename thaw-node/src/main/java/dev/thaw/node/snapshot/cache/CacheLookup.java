package dev.thaw.node.snapshot.cache;

import dev.thaw.core.cache.CacheIndex;
import dev.thaw.core.snapshot.SnapshotManifest;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves a cache entry only as it was verified: an entry found at start waits for its check ({@link
 * EntryVerifier}); the fingerprint of a verified entry's files is compared before every restore
 * from it; a scrub's finding is taken against the entry it read. An entry found changed either way
 * is dropped ({@code thaw.snapshot.cache.corrupt{found=stat|scrub}}) and the cold start goes on as
 * on a miss.
 */
final class CacheLookup {
  private static final Logger log = LoggerFactory.getLogger(CacheLookup.class);

  private final CacheIndex index;
  private final CacheEntries entries;
  private final EntryVerifier verifier;
  private final Counter changedByStat;
  private final Counter changedByScrub;

  CacheLookup(
      CacheIndex index, CacheEntries entries, EntryVerifier verifier, MeterRegistry meters) {
    this.index = index;
    this.entries = entries;
    this.verifier = verifier;
    this.changedByStat = meters.counter("thaw.snapshot.cache.corrupt", "found", "stat");
    this.changedByScrub = meters.counter("thaw.snapshot.cache.corrupt", "found", "scrub");
  }

  /** See {@link LocalSnapshotCache#acquire}. */
  Optional<CachedSnapshot> acquire(String revision) {
    if (verifier.pending(revision) && !verifyFound(revision)) {
      return Optional.empty();
    }
    Optional<CacheIndex.Lease> lease = index.acquire(revision);
    if (lease.isEmpty()) {
      return Optional.empty();
    }
    Path dir = entries.dir(revision);
    EntryFingerprint seen;
    EntryFingerprint.Change changed;
    try {
      SnapshotManifest m =
          entries
              .manifest(revision)
              .orElseThrow(() -> new IllegalStateException("no manifest held for it"));
      seen =
          entries
              .fingerprint(revision)
              .orElseThrow(() -> new IllegalStateException("no fingerprint held for it"));
      EntryFingerprint.Check check = seen.check(dir);
      if (check instanceof EntryFingerprint.Changed c) {
        changed = c.change();
      } else {
        if (check instanceof EntryFingerprint.Unlinked u) {
          entries.refingerprint(revision, seen, u.now());
        }
        // The manifest's time is the entry's last use, for LRU order after a restart.
        Files.setLastModifiedTime(
            dir.resolve(SnapshotManifest.FILE_NAME),
            FileTime.fromMillis(System.currentTimeMillis()));
        return Optional.of(new CachedSnapshot(m, dir, () -> index.release(lease.get())));
      }
    } catch (IOException | RuntimeException e) {
      index.release(lease.get());
      throw new IllegalStateException("cached snapshot " + revision + " is unreadable", e);
    }
    index.release(lease.get());
    condemn(revision, seen, changed + " since it was verified", changedByStat);
    return Optional.empty();
  }

  /**
   * Checks an entry found at start against its manifest (pinned meanwhile), and drops it with the
   * reason when it does not match.
   *
   * @return whether it may be served
   */
  boolean verifyFound(String revision) {
    Optional<SnapshotManifest> m = entries.manifest(revision);
    if (m.isEmpty()) {
      return false;
    }
    Optional<CacheIndex.Lease> lease = index.pin(revision);
    if (lease.isEmpty()) {
      return false;
    }
    Optional<String> wrong;
    try {
      wrong = verifier.check(revision, m.get(), entries.dir(revision));
    } finally {
      index.release(lease.get());
    }
    if (wrong.isEmpty()) {
      return true;
    }
    log.warn("dropping cache entry {}: {}", revision, wrong.get());
    entries.remove(revision);
    return false;
  }

  /**
   * Whether an entry may serve chunks: entries found at start only once their content was checked.
   */
  boolean checked(String revision) {
    return !verifier.pending(revision);
  }

  /** See {@link LocalSnapshotCache#scrubbable}. */
  Optional<LocalSnapshotCache.Scrubbable> scrubbable(String revision) {
    Optional<SnapshotManifest> m = entries.manifest(revision);
    if (m.isEmpty() || entries.fingerprint(revision).isEmpty() || verifier.pending(revision)) {
      return Optional.empty();
    }
    return Optional.of(new LocalSnapshotCache.Scrubbable(revision, m.get(), entries.dir(revision)));
  }

  /** See {@link LocalSnapshotCache#scrubFailed}. */
  boolean scrubFailed(LocalSnapshotCache.Scrubbable entry, String why) {
    Optional<EntryFingerprint> current = entries.fingerprint(entry.revision());
    if (current.isEmpty() || entries.manifest(entry.revision()).orElse(null) != entry.manifest()) {
      return false;
    }
    return condemn(entry.revision(), current.get(), why, changedByScrub);
  }

  /** See {@link LocalSnapshotCache#drop}. */
  void drop(String revision, String why) {
    if (!entries.remove(revision) && entries.manifest(revision).isPresent()) {
      verifier.failed(revision, why);
    }
  }

  /**
   * Drops the entry of {@code revision} whose files, fingerprinted {@code seen}, no longer match:
   * it is served no more, and deleted now or, while a restore still pins it, by the next cold start
   * that asks for it. Only the first to find it so (the fingerprint is still {@code seen}) logs and
   * counts it.
   */
  private boolean condemn(String revision, EntryFingerprint seen, String why, Counter found) {
    if (!entries.unfingerprint(revision, seen)) {
      return false;
    }
    verifier.failed(revision, why);
    found.increment();
    log.warn("dropping cache entry {}: {}", revision, why);
    entries.remove(revision);
    return true;
  }
}
