package dev.thaw.node.snapshot.cache;

import dev.thaw.core.cache.CacheAdvertiser;
import dev.thaw.core.cache.CacheIndex;
import dev.thaw.core.io.FileTrees;
import dev.thaw.core.snapshot.SnapshotFormatException;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotManifestCodec;
import dev.thaw.core.snapshot.SnapshotMismatchException;
import dev.thaw.core.vmm.VmmIdentity;
import io.micrometer.core.instrument.Counter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The committed entries of a node's cache, one directory each under {@code entries/}, and what is
 * held of each: its manifest (read once, at commit or at start, not per restore) and the
 * fingerprint of its files as they were checked. It takes back the entries found at start and
 * carries out the {@link CacheIndex}'s decisions on them — an entry appears by an atomic rename of
 * a verified directory and goes when evicted or removed — and announces the cache's revisions after
 * each change.
 */
final class CacheEntries {
  private static final Logger log = LoggerFactory.getLogger(CacheEntries.class);

  private final Path root;
  private final CacheIndex index;
  private final CacheAdvertiser advertiser;
  private final Counter evictions;
  private final Map<String, SnapshotManifest> manifests = new ConcurrentHashMap<>();
  private final Map<String, EntryFingerprint> fingerprints = new ConcurrentHashMap<>();

  /** Told of every entry deleted, so that nothing else keeps what it knew of it. */
  private final Consumer<String> deleted;

  /** Told of every entry evicted (after {@link #deleted}). */
  private final Consumer<String> evicted;

  CacheEntries(
      Path root,
      CacheIndex index,
      CacheAdvertiser advertiser,
      Counter evictions,
      Consumer<String> deleted,
      Consumer<String> evicted) {
    this.root = root;
    this.index = index;
    this.advertiser = advertiser;
    this.evictions = evictions;
    this.deleted = deleted;
    this.evicted = evicted;
  }

  Path root() {
    return root;
  }

  Path dir(String revision) {
    return root.resolve(revision);
  }

  /** The manifests of committed entries, by revision (a live view). */
  Map<String, SnapshotManifest> manifests() {
    return manifests;
  }

  Optional<SnapshotManifest> manifest(String revision) {
    return Optional.ofNullable(manifests.get(revision));
  }

  Optional<EntryFingerprint> fingerprint(String revision) {
    return Optional.ofNullable(fingerprints.get(revision));
  }

  /** Records the fingerprint of an entry's files, just checked. */
  void verified(String revision, EntryFingerprint seen) {
    fingerprints.put(revision, seen);
  }

  /** Replaces the fingerprint {@code seen} (and only it) by {@code now}. */
  void refingerprint(String revision, EntryFingerprint seen, EntryFingerprint now) {
    fingerprints.replace(revision, seen, now);
  }

  /**
   * Forgets the fingerprint {@code seen}: the entry is not to be served any more.
   *
   * @return false when it was forgotten already (or replaced)
   */
  boolean unfingerprint(String revision, EntryFingerprint seen) {
    return fingerprints.remove(revision, seen);
  }

  /**
   * Takes back the entries found at start into the index, deleting any whose manifest is missing,
   * unreadable, not {@code host}'s, names another revision, or does not match its files' sizes;
   * {@code found} is told of each entry kept (its content is checked later).
   */
  void recover(VmmIdentity host, Consumer<String> found) throws IOException {
    Files.createDirectories(root);
    try (Stream<Path> dirs = Files.list(root)) {
      for (Path dir : dirs.sorted().toList()) {
        String revision = dir.getFileName().toString();
        try {
          SnapshotManifest m = SnapshotManifestCodec.readFrom(dir, host);
          if (!m.revision().equals(revision)) {
            throw new SnapshotMismatchException(
                "it holds the snapshot of revision " + m.revision(), null);
          }
          SnapshotManifestCodec.verifySizes(m, dir);
          found.accept(revision);
          long lastUsed =
              Files.getLastModifiedTime(dir.resolve(SnapshotManifest.FILE_NAME)).toMillis();
          manifests.put(revision, m);
          List<String> evicted = index.recover(revision, m.totalBytes(), lastUsed);
          if (evicted.contains(revision)) {
            log.warn("dropping cache entry {}: larger than the whole cache", revision);
          }
          evict(evicted);
        } catch (IOException | SnapshotFormatException e) {
          log.warn("dropping cache entry {}: {}", revision, e.getMessage());
          FileTrees.deleteRecursively(dir);
        }
      }
    }
    announce();
  }

  /**
   * Publishes the verified directory {@code incoming}, fingerprinted {@code seen}, as the entry of
   * {@code manifest}: the index commits it (making room), then the directory is renamed into place
   * atomically. Returns the entry pinned for the restore that follows, or empty when its real size
   * no longer fits (the directory is deleted then).
   */
  Optional<CachedSnapshot> publish(
      CacheIndex.Admission admission,
      Path incoming,
      SnapshotManifest manifest,
      EntryFingerprint seen)
      throws IOException {
    Optional<CacheIndex.Committed> committed = index.commit(admission, manifest.totalBytes());
    if (committed.isEmpty()) {
      FileTrees.deleteQuietly(incoming);
      return Optional.empty();
    }
    evict(committed.get().evicted());
    String revision = manifest.revision();
    Path target = dir(revision);
    try {
      Files.move(incoming, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      throw new IllegalStateException("cache entries and incoming/ must share a filesystem", e);
    } catch (IOException e) {
      index.release(committed.get().lease());
      index.remove(revision);
      FileTrees.deleteQuietly(incoming);
      throw e;
    }
    fingerprints.put(revision, seen);
    manifests.put(revision, manifest);
    announce();
    CacheIndex.Lease lease = committed.get().lease();
    return Optional.of(new CachedSnapshot(manifest, target, () -> index.release(lease)));
  }

  /** Deletes the entries the index evicted. */
  void evict(List<String> revisions) {
    for (String r : revisions) {
      log.info("evicting snapshot {}", r);
      evictions.increment();
      delete(r);
      evicted.accept(r);
    }
  }

  /** Deletes an unpinned entry; false when absent or in use. */
  boolean remove(String revision) {
    if (!index.remove(revision)) {
      return false;
    }
    delete(revision);
    announce();
    return true;
  }

  /** Tells the cluster which revisions this cache holds; a failure costs only placement hints. */
  void announce() {
    try {
      advertiser.advertise(Set.copyOf(index.revisions()));
    } catch (RuntimeException e) {
      log.warn("cache advertisement failed: {}", e.getMessage());
    }
  }

  private void delete(String revision) {
    manifests.remove(revision);
    fingerprints.remove(revision);
    deleted.accept(revision);
    try {
      FileTrees.deleteRecursively(dir(revision));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete snapshot " + revision, e);
    }
  }
}
