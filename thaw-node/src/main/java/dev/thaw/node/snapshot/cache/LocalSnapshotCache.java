package dev.thaw.node.snapshot.cache;

import dev.thaw.core.cache.CacheAdvertiser;
import dev.thaw.core.cache.CacheEntry;
import dev.thaw.core.cache.CacheIndex;
import dev.thaw.core.io.FileTrees;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotManifestCodec;
import dev.thaw.core.vmm.VmmIdentity;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * A node's bounded snapshot cache on disk, applying the decisions of a {@link CacheIndex}: it opens
 * the cache and admits new entries ({@link Writer}); {@link CacheEntries} keeps the committed ones
 * and removes them, {@link CacheLookup} serves them only as verified.
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
 * what a stat cannot see.
 */
public final class LocalSnapshotCache implements AutoCloseable {
  private final Path incoming;
  private final CacheIndex index;
  private final VmmIdentity host;
  private final EntryVerifier verifier;
  private final CacheEntries entries;
  private final CacheLookup lookup;
  private volatile Consumer<String> onEvicted = revision -> {};
  private CacheDirectory.Lock lock;

  private LocalSnapshotCache(
      Path root,
      CacheIndex index,
      CacheAdvertiser advertiser,
      VmmIdentity host,
      MeterRegistry meters) {
    this.incoming = root.resolve("incoming");
    this.index = index;
    this.host = host;
    this.verifier = new EntryVerifier(meters, this::verified);
    this.entries =
        new CacheEntries(
            root.resolve("entries"),
            index,
            advertiser,
            meters.counter("thaw.snapshot.evictions"),
            verifier::forget,
            revision -> onEvicted.accept(revision));
    this.lookup = new CacheLookup(index, entries, verifier, meters);
    meters.gauge("thaw.snapshot.cache.used.bytes", index, CacheIndex::usedBytes);
    meters.gauge("thaw.snapshot.cache.capacity.bytes", index, CacheIndex::capacityBytes);
  }

  /** Tells {@code listener} of every entry evicted from now on (one listener; the last set). */
  public void onEvicted(Consumer<String> listener) {
    this.onEvicted = Objects.requireNonNull(listener);
  }

  /** Records the fingerprint of an entry whose content its check at start found sound. */
  private void verified(String revision, EntryFingerprint seen) {
    entries.verified(revision, seen);
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
    cache.verifier.inBackground(cache.entries.manifests().keySet(), cache.lookup::verifyFound);
    return cache;
  }

  private void recover() throws IOException {
    lock = CacheDirectory.lock(entries.root().getParent());
    FileTrees.deleteRecursively(incoming);
    Files.createDirectories(incoming);
    entries.recover(host, verifier::found);
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
    return lookup.acquire(revision);
  }

  /**
   * Like {@link #acquire} for a reader other than a restore (a peer): empty, rather than checked
   * now, when the entry was found at start and its check has not passed yet.
   */
  public Optional<CachedSnapshot> acquireChecked(String revision) {
    return lookup.checked(revision) ? lookup.acquire(revision) : Optional.empty();
  }

  /** A verified entry as a scrub reads it; its manifest (the object) tells it from a later one. */
  record Scrubbable(String revision, SnapshotManifest manifest, Path dir) {}

  /**
   * The entry of {@code revision} for a scrub, unpinned (a scrub must not hold off eviction): empty
   * when there is none, or it still awaits its check at start (the start's check reads it then).
   */
  Optional<Scrubbable> scrubbable(String revision) {
    return lookup.scrubbable(revision);
  }

  /**
   * A scrub found {@code entry}'s content not to match its manifest: drops it, unless it is no
   * longer the entry the scrub read (evicted meanwhile, or replaced by a new one).
   *
   * @return whether it was dropped (or will be once unpinned)
   */
  boolean scrubFailed(Scrubbable entry, String why) {
    return lookup.scrubFailed(entry, why);
  }

  /**
   * Finds cached copies of {@code wanted} chunks in committed entries, pinning each entry that
   * supplies one until the result is closed, so copying from it cannot race its eviction.
   */
  public LocalChunks localChunks(Set<String> wanted) {
    return LocalChunks.find(wanted, entries.manifests(), entries.root(), index, lookup::checked);
  }

  /**
   * Reserves room for a snapshot of about {@code estimatedBytes} and opens a private directory to
   * write it in. Empty when the cache cannot take it (larger than the cache, or everything else is
   * in use).
   */
  public Optional<Writer> begin(String revision, long estimatedBytes) throws IOException {
    return begin(index.admit(revision, estimatedBytes));
  }

  /**
   * Like {@link #begin(String, long)}, making room only of entries last used {@code idle} or longer
   * ago ({@link CacheIndex#admitEvictingIdle}): for a snapshot fetched ahead of its use.
   */
  public Optional<Writer> beginEvictingIdle(String revision, long estimatedBytes, Duration idle)
      throws IOException {
    return begin(index.admitEvictingIdle(revision, estimatedBytes, idle.toMillis()));
  }

  private Optional<Writer> begin(Optional<CacheIndex.Admission> admission) throws IOException {
    if (admission.isEmpty()) {
      return Optional.empty();
    }
    entries.evict(admission.get().evicted());
    if (!admission.get().evicted().isEmpty()) {
      entries.announce();
    }
    Path dir = Files.createTempDirectory(incoming, admission.get().revision() + ".");
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
      done = true;
      return entries.publish(admission, dir, manifest, seen);
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
    if (entries.manifest(revision).isEmpty()) {
      throw new IllegalArgumentException("no committed entry " + revision);
    }
    return entries.dir(revision);
  }

  /**
   * Drops the entry of {@code revision}, which will never restore here ({@code why}): now, or,
   * while something pins it (a restore, the check at start), it is served no more and deleted by
   * the next cold start that asks for it.
   */
  public void drop(String revision, String why) {
    lookup.drop(revision, why);
  }

  /** Deletes an unpinned snapshot on request; false when absent or in use. */
  public boolean remove(String revision) {
    return entries.remove(revision);
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
}
