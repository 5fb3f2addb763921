package dev.thaw.node.snapshot;

import dev.thaw.core.cache.CacheAdvertiser;
import dev.thaw.core.cache.CacheEntry;
import dev.thaw.core.cache.CacheIndex;
import dev.thaw.core.io.FileTrees;
import dev.thaw.core.snapshot.SnapshotFormatException;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotManifestCodec;
import dev.thaw.core.snapshot.SnapshotMismatchException;
import dev.thaw.core.vmm.VmmIdentity;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's bounded snapshot cache on disk, applying the decisions of a {@link CacheIndex}.
 *
 * <p>Layout under the root: {@code entries/<revision>/} holds complete snapshots (files plus {@code
 * manifest.json}); {@code incoming/} holds snapshots being written. An entry appears only by an
 * atomic rename of a verified directory, so a reader never sees a half-written entry; at start
 * everything under {@code incoming/} is deleted, as is any entry whose manifest is missing,
 * unreadable, or does not match its files' sizes.
 *
 * <p>An entry is served only as it was verified: its files' {@link EntryFingerprint} is recorded
 * when their content is checked (at commit, or by the check of entries found at start) and compared
 * before every restore from it; a {@link CacheScrubber} re-hashes entries in the background for
 * what a stat cannot see. An entry found changed either way is dropped ({@code
 * thaw.snapshot.cache.corrupt{found=stat|scrub}}), and the cold start goes on as on a miss.
 */
public final class LocalSnapshotCache implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LocalSnapshotCache.class);

  private final Path entries;
  private final Path incoming;
  private final CacheIndex index;
  private final CacheAdvertiser advertiser;
  private final VmmIdentity host;
  private final Counter evictions;
  private final EntryVerifier verifier;

  /** Manifests of committed entries, read once (at commit or recovery), not per restore. */
  private final Map<String, SnapshotManifest> manifests = new ConcurrentHashMap<>();

  /** Of each entry whose content was checked: its files as they were then. */
  private final Map<String, EntryFingerprint> fingerprints = new ConcurrentHashMap<>();

  private final Counter changedByStat;
  private final Counter changedByScrub;

  private CacheDirectory.Lock lock;

  private LocalSnapshotCache(
      Path root,
      CacheIndex index,
      CacheAdvertiser advertiser,
      VmmIdentity host,
      MeterRegistry meters) {
    this.entries = root.resolve("entries");
    this.incoming = root.resolve("incoming");
    this.index = index;
    this.advertiser = advertiser;
    this.host = host;
    this.evictions = meters.counter("thaw.snapshot.evictions");
    this.verifier = new EntryVerifier(meters, fingerprints::put);
    this.changedByStat = meters.counter("thaw.snapshot.cache.corrupt", "found", "stat");
    this.changedByScrub = meters.counter("thaw.snapshot.cache.corrupt", "found", "scrub");
    meters.gauge("thaw.snapshot.cache.used.bytes", index, CacheIndex::usedBytes);
    meters.gauge("thaw.snapshot.cache.capacity.bytes", index, CacheIndex::capacityBytes);
  }

  /** Opens (or creates) the cache at {@code root}, rebuilds its index and announces it. */
  public static LocalSnapshotCache open(
      Path root,
      CacheIndex index,
      CacheAdvertiser advertiser,
      VmmIdentity host,
      MeterRegistry meters)
      throws IOException {
    LocalSnapshotCache cache = new LocalSnapshotCache(root, index, advertiser, host, meters);
    cache.recover();
    cache.verifier.inBackground(cache.manifests.keySet(), cache::verifyFound);
    return cache;
  }

  private void recover() throws IOException {
    lock = CacheDirectory.lock(entries.getParent());
    FileTrees.deleteRecursively(incoming);
    Files.createDirectories(incoming);
    Files.createDirectories(entries);
    try (Stream<Path> dirs = Files.list(entries)) {
      for (Path dir : dirs.sorted().toList()) {
        String revision = dir.getFileName().toString();
        try {
          SnapshotManifest m = SnapshotManifestCodec.readFrom(dir, host);
          if (!m.revision().equals(revision)) {
            throw new SnapshotMismatchException(
                "it holds the snapshot of revision " + m.revision(), null);
          }
          SnapshotManifestCodec.verifySizes(m, dir);
          verifier.found(revision);
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
   * Checks an entry found at start against its manifest (pinned meanwhile), and drops it with the
   * reason when it does not match.
   *
   * @return whether it may be served
   */
  private boolean verifyFound(String revision) {
    SnapshotManifest m = manifests.get(revision);
    if (m == null) {
      return false;
    }
    Optional<CacheIndex.Lease> lease = index.pin(revision);
    if (lease.isEmpty()) {
      return false;
    }
    Optional<String> wrong;
    try {
      wrong = verifier.check(revision, m, entries.resolve(revision));
    } finally {
      index.release(lease.get());
    }
    if (wrong.isEmpty()) {
      return true;
    }
    log.warn("dropping cache entry {}: {}", revision, wrong.get());
    remove(revision);
    return false;
  }

  /** Releases the directory for another process. Entries stay on disk. */
  @Override
  public void close() throws IOException {
    verifier.close();
    if (lock != null) {
      lock.close();
      lock = null;
    }
  }

  /**
   * A new empty file under {@code incoming/}, for content that joins an entry later (moved into a
   * {@link Writer}'s directory); deleted at the next start if left behind.
   */
  public Path newIncomingFile(String revision) throws IOException {
    return Files.createTempFile(incoming, revision + ".", ".part");
  }

  /**
   * Pins a cached snapshot for a restore; close the result once the VMM has opened it. Empty when
   * the cache has no entry of {@code revision} fit to serve: none, one still being checked and
   * found unsound, or one whose files changed since they were verified (then it is dropped).
   */
  public Optional<CachedSnapshot> acquire(String revision) {
    if (verifier.pending(revision) && !verifyFound(revision)) {
      return Optional.empty();
    }
    Optional<CacheIndex.Lease> lease = index.acquire(revision);
    if (lease.isEmpty()) {
      return Optional.empty();
    }
    Path dir = entries.resolve(revision);
    EntryFingerprint seen;
    EntryFingerprint.Change changed;
    try {
      SnapshotManifest m =
          Objects.requireNonNull(manifests.get(revision), "no manifest held for it");
      seen = Objects.requireNonNull(fingerprints.get(revision), "no fingerprint held for it");
      EntryFingerprint.Check check = seen.check(dir);
      if (check instanceof EntryFingerprint.Changed c) {
        changed = c.change();
      } else {
        if (check instanceof EntryFingerprint.Unlinked u) {
          fingerprints.replace(revision, seen, u.now());
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

  /** A verified entry as a scrub reads it; its manifest (the object) tells it from a later one. */
  record Scrubbable(String revision, SnapshotManifest manifest, Path dir) {}

  /**
   * The entry of {@code revision} for a scrub, unpinned (a scrub must not hold off eviction): empty
   * when there is none, or it still awaits its check at start (the start's check reads it then).
   */
  Optional<Scrubbable> scrubbable(String revision) {
    SnapshotManifest m = manifests.get(revision);
    if (m == null || !fingerprints.containsKey(revision) || verifier.pending(revision)) {
      return Optional.empty();
    }
    return Optional.of(new Scrubbable(revision, m, entries.resolve(revision)));
  }

  /**
   * A scrub found {@code entry}'s content not to match its manifest: drops it, unless it is no
   * longer the entry the scrub read (evicted meanwhile, or replaced by a new one).
   *
   * @return whether it was dropped (or will be once unpinned)
   */
  boolean scrubFailed(Scrubbable entry, String why) {
    EntryFingerprint current = fingerprints.get(entry.revision());
    if (current == null || manifests.get(entry.revision()) != entry.manifest()) {
      return false;
    }
    return condemn(entry.revision(), current, why, changedByScrub);
  }

  /**
   * Drops the entry of {@code revision} whose files, fingerprinted {@code seen}, no longer match:
   * it is served no more, and deleted now or, while a restore still pins it, by the next cold start
   * that asks for it. Only the first to find it so (the fingerprint is still {@code seen}) logs and
   * counts it.
   */
  private boolean condemn(String revision, EntryFingerprint seen, String why, Counter found) {
    if (!fingerprints.remove(revision, seen)) {
      return false;
    }
    verifier.failed(revision, why);
    found.increment();
    log.warn("dropping cache entry {}: {}", revision, why);
    remove(revision);
    return true;
  }

  /**
   * Finds cached copies of {@code wanted} chunks in committed entries, pinning each entry that
   * supplies one until the result is closed, so copying from it cannot race its eviction.
   */
  public LocalChunks localChunks(Set<String> wanted) {
    // Entries found at start serve chunks only once their content was checked.
    return LocalChunks.find(
        wanted, manifests, entries, index, revision -> !verifier.pending(revision));
  }

  /**
   * Reserves room for a snapshot of about {@code estimatedBytes} and opens a private directory to
   * write it in. Empty when the cache cannot take it (larger than the cache, or everything else is
   * in use).
   */
  public Optional<Writer> begin(String revision, long estimatedBytes) throws IOException {
    Optional<CacheIndex.Admission> admission = index.admit(revision, estimatedBytes);
    if (admission.isEmpty()) {
      return Optional.empty();
    }
    evict(admission.get().evicted());
    if (!admission.get().evicted().isEmpty()) {
      announce();
    }
    Path dir = Files.createTempDirectory(incoming, revision + ".");
    return Optional.of(new Writer(admission.get(), dir));
  }

  /** A snapshot being written into the cache: commit it or abort it, exactly once. */
  public final class Writer implements AutoCloseable {
    private final CacheIndex.Admission admission;
    private final Path dir;
    private boolean done;

    private Writer(CacheIndex.Admission admission, Path dir) {
      this.admission = admission;
      this.dir = dir;
    }

    /** Where to write the snapshot's files. */
    public Path dir() {
      return dir;
    }

    /**
     * Verifies the files against {@code manifest} (sizes and SHA-256), writes the manifest and
     * publishes the entry atomically. Returns the entry pinned for the restore that follows, or
     * empty when its real size no longer fits (the files are then deleted).
     *
     * @throws dev.thaw.core.snapshot.SnapshotMismatchException when a file does not match
     */
    public Optional<CachedSnapshot> commit(SnapshotManifest manifest) throws IOException {
      return commit(manifest, true);
    }

    /**
     * Like {@link #commit(SnapshotManifest)} for files whose SHA-256 the caller computed or checked
     * as it wrote them (a download verified in flight, a snapshot just hashed): only their presence
     * and sizes are checked, sparing a second pass over the bytes.
     */
    public Optional<CachedSnapshot> commitChecked(SnapshotManifest manifest) throws IOException {
      return commit(manifest, false);
    }

    private Optional<CachedSnapshot> commit(SnapshotManifest manifest, boolean hash)
        throws IOException {
      if (!manifest.revision().equals(admission.revision())) {
        throw new IllegalArgumentException("manifest is for " + manifest.revision());
      }
      EntryFingerprint seen;
      try {
        SnapshotManifestCodec.verifySizes(manifest, dir);
        // Before the hash, so that a write during it shows at the first restore. The files keep
        // their inode and times when their directory is renamed into entries/.
        seen = EntryFingerprint.take(manifest, dir);
        if (hash) {
          SnapshotManifestCodec.verifyFiles(manifest, dir);
        }
        Path file = dir.resolve(SnapshotManifest.FILE_NAME);
        try {
          Files.writeString(file, SnapshotManifestCodec.write(manifest));
        } catch (IOException e) {
          throw new CacheWriteException("write", file, e);
        }
      } catch (IOException | RuntimeException e) {
        close();
        throw e;
      }
      Optional<CacheIndex.Committed> committed = index.commit(admission, manifest.totalBytes());
      done = true;
      if (committed.isEmpty()) {
        FileTrees.deleteQuietly(dir);
        return Optional.empty();
      }
      evict(committed.get().evicted());
      Path target = entries.resolve(manifest.revision());
      try {
        Files.move(dir, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IllegalStateException("cache entries and incoming/ must share a filesystem", e);
      } catch (IOException e) {
        index.release(committed.get().lease());
        index.remove(manifest.revision());
        FileTrees.deleteQuietly(dir);
        throw e;
      }
      fingerprints.put(manifest.revision(), seen);
      manifests.put(manifest.revision(), manifest);
      announce();
      CacheIndex.Lease lease = committed.get().lease();
      return Optional.of(new CachedSnapshot(manifest, target, () -> index.release(lease)));
    }

    /** Drops the partial snapshot and gives its room back, unless already committed. */
    @Override
    public void close() {
      if (!done) {
        done = true;
        FileTrees.deleteQuietly(dir);
        index.abort(admission);
      }
    }
  }

  /** The directory of a committed entry (for tools; restores go through {@link #acquire}). */
  public Path entryDir(String revision) {
    if (!manifests.containsKey(revision)) {
      throw new IllegalArgumentException("no committed entry " + revision);
    }
    return entries.resolve(revision);
  }

  /**
   * Drops the entry of {@code revision}, which will never restore here ({@code why}): now, or,
   * while something pins it (a restore, the check at start), it is served no more and deleted by
   * the next cold start that asks for it.
   */
  public void drop(String revision, String why) {
    if (!remove(revision) && manifests.containsKey(revision)) {
      verifier.failed(revision, why);
    }
  }

  /** Deletes an unpinned snapshot on request; false when absent or in use. */
  public boolean remove(String revision) {
    if (!index.remove(revision)) {
      return false;
    }
    delete(revision);
    announce();
    return true;
  }

  public List<CacheEntry> entries() {
    return index.entries();
  }

  public Set<String> revisions() {
    return Set.copyOf(index.revisions());
  }

  public long usedBytes() {
    return index.usedBytes();
  }

  public long capacityBytes() {
    return index.capacityBytes();
  }

  private void evict(List<String> revisions) {
    for (String r : revisions) {
      log.info("evicting snapshot {}", r);
      evictions.increment();
      delete(r);
    }
  }

  private void delete(String revision) {
    manifests.remove(revision);
    fingerprints.remove(revision);
    verifier.forget(revision);
    try {
      FileTrees.deleteRecursively(entries.resolve(revision));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete snapshot " + revision, e);
    }
  }

  private void announce() {
    try {
      advertiser.advertise(revisions());
    } catch (RuntimeException e) {
      log.warn("cache advertisement failed: {}", e.getMessage());
    }
  }
}
