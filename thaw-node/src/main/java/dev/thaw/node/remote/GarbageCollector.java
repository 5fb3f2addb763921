package dev.thaw.node.remote;

import dev.thaw.core.snapshot.GcReport;
import dev.thaw.core.snapshot.SnapshotCollector;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotManifestCodec;
import dev.thaw.core.store.ObjectStore;
import dev.thaw.core.store.ObjectStore.ObjectInfo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Garbage collection of remote snapshot storage. Safe against concurrent uploads (see {@link
 * ChunkedUpload}): it takes the lock first, and only then reads the records of uploads in progress
 * and the manifests, so an upload's chunks are either seen as referenced or stored again after the
 * sweep.
 *
 * <p>Reports its phases in order: {@code "locked"}, {@code "expired N revisions"}, {@code "read N
 * uploads in progress"}, {@code "expired N root images"}, {@code "read N manifests: M chunks
 * referenced"}, {@code "deleted N chunks"}.
 */
final class GarbageCollector implements SnapshotCollector {
  /** An upload record this old belongs to an uploader that died; collection drops it. */
  static final Duration ABANDONED_UPLOAD = Duration.ofDays(1);

  private final ObjectStore objects;
  private final Revisions revisions;
  private final GcLock lock;
  private final Clock clock;
  private final RemoteRootImages images;

  GarbageCollector(
      ObjectStore objects, Revisions revisions, GcLock lock, Clock clock, RemoteRootImages images) {
    this.objects = objects;
    this.revisions = revisions;
    this.lock = lock;
    this.clock = clock;
    this.images = images;
  }

  /**
   * {@inheritDoc}
   *
   * <p>A revision's age is the later of its manifest's time and its {@code _used/} mark's.
   *
   * @throws IOException when another collection holds a lock younger than its TTL, or storage fails
   */
  @Override
  public GcReport collectGarbage(Duration unusedFor, Consumer<String> progress) throws IOException {
    lock.take();
    try {
      progress.accept("locked");
      List<String> expired = unusedFor == null ? List.of() : expire(unusedFor);
      progress.accept("expired " + expired.size() + " revisions");
      Set<String> referenced = new HashSet<>();
      Set<String> imagesInUse = new HashSet<>();
      int uploads = readUploads(referenced, imagesInUse);
      progress.accept("read " + uploads + " uploads in progress");
      Set<String> names = revisions.manifestTimes().keySet();
      for (String revision : names) {
        Optional<String> json = revisions.manifest(revision);
        if (json.isPresent()) {
          SnapshotManifest m = SnapshotManifestCodec.parse(json.get());
          referenced.addAll(m.chunks().keySet());
          imageOf(m).ifPresent(imagesInUse::add);
        }
      }
      // Root images are kept whole while a snapshot names them or they are recent: a deleted
      // function's image goes once no snapshot names it and the grace has passed.
      Instant imageCutoff =
          clock
              .instant()
              .minus(
                  unusedFor == null || unusedFor.compareTo(ABANDONED_UPLOAD) < 0
                      ? ABANDONED_UPLOAD
                      : unusedFor);
      RemoteRootImages.Sweep images = this.images.sweep(imagesInUse, imageCutoff);
      referenced.addAll(images.referencedChunks());
      progress.accept("expired " + images.expired().size() + " root images");
      progress.accept(
          "read " + names.size() + " manifests: " + referenced.size() + " chunks referenced");
      int kept = 0;
      long freed = 0;
      List<String> garbage = new ArrayList<>();
      for (ObjectInfo o : objects.list(RemoteKeys.CHUNKS)) {
        if (referenced.contains(RemoteKeys.chunkDigest(o.key()))) {
          kept++;
        } else {
          garbage.add(o.key());
          freed += o.size();
        }
      }
      objects.delete(garbage);
      progress.accept("deleted " + garbage.size() + " chunks");
      return new GcReport(expired, garbage.size(), kept, freed);
    } catch (IOException e) {
      throw new IOException(
          "garbage collection of " + objects.describe() + " failed: " + e.getMessage(), e);
    } finally {
      lock.release();
    }
  }

  /** The digest of the root image a snapshot's function runs from, if it runs from one. */
  private static Optional<String> imageOf(SnapshotManifest m) {
    return m.function().fromImage() ? Optional.of(m.function().image().digest()) : Optional.empty();
  }

  /** Deletes the revisions neither written nor used within {@code unusedFor}. */
  private List<String> expire(Duration unusedFor) throws IOException {
    List<String> expired = new ArrayList<>();
    Instant cutoff = clock.instant().minus(unusedFor);
    for (Map.Entry<String, Instant> written : revisions.manifestTimes().entrySet()) {
      String revision = written.getKey();
      Instant used =
          objects
              .head(RemoteKeys.used(revision))
              .map(ObjectInfo::lastModified)
              .filter(t -> t.isAfter(written.getValue()))
              .orElse(written.getValue());
      if (used.isBefore(cutoff)) {
        revisions.delete(revision);
        expired.add(revision);
      }
    }
    return expired;
  }

  /**
   * Adds the chunks of every upload in progress to {@code referenced}, dropping abandoned records.
   *
   * @return how many uploads are in progress
   */
  private int readUploads(Set<String> referenced, Set<String> imagesInUse) throws IOException {
    int uploads = 0;
    Instant abandoned = clock.instant().minus(ABANDONED_UPLOAD);
    for (ObjectInfo o : objects.list(RemoteKeys.UPLOADS)) {
      if (o.lastModified().isBefore(abandoned)) {
        objects.delete(o.key());
        continue;
      }
      Optional<byte[]> json = objects.get(o.key());
      if (json.isPresent()) {
        uploads++;
        String manifest = new String(json.get(), StandardCharsets.UTF_8);
        SnapshotManifest m = SnapshotManifestCodec.parse(manifest);
        referenced.addAll(m.chunks().keySet());
        imageOf(m).ifPresent(imagesInUse::add);
      }
      // A record gone since the listing means its manifest is written: read after this.
    }
    return uploads;
  }
}
