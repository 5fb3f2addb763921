package dev.thaw.node.remote;

import dev.thaw.core.store.ObjectStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;

/** The revisions in storage: their manifests, and deleting one with its own objects. */
final class Revisions {
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

  private final ObjectStore objects;

  Revisions(ObjectStore objects) {
    this.objects = objects;
  }

  /** The manifest JSON of {@code revision}, or empty when there is none (yet). */
  Optional<String> manifest(String revision) throws IOException {
    return objects
        .get(RemoteKeys.manifest(revision))
        .map(b -> new String(b, StandardCharsets.UTF_8));
  }

  /**
   * The SHA-256 of {@code revision}'s manifest as stored beside it; empty when none is (stored
   * before digests were kept) or it is not 64 hex digits.
   */
  Optional<String> manifestSha256(String revision) throws IOException {
    return objects
        .get(RemoteKeys.manifestSha256(revision))
        .map(b -> new String(b, StandardCharsets.US_ASCII).strip())
        .filter(d -> SHA256.matcher(d).matches());
  }

  /** Revisions with a manifest, sorted, with the time their manifest was written. */
  SortedMap<String, Instant> manifestTimes() throws IOException {
    SortedMap<String, Instant> out = new TreeMap<>();
    for (String folder : objects.listFolders("")) {
      if (RemoteKeys.isRevision(folder)) {
        objects.head(RemoteKeys.manifest(folder)).ifPresent(o -> out.put(folder, o.lastModified()));
      }
    }
    return out;
  }

  /**
   * Deletes the manifest first (the revision disappears at once), then its own objects and its
   * marks. Its chunks stay for garbage collection: other revisions may share them.
   */
  void delete(String revision) throws IOException {
    objects.delete(RemoteKeys.manifest(revision));
    List<String> keys = new ArrayList<>();
    for (ObjectStore.ObjectInfo o : objects.list(RemoteKeys.revisionFolder(revision))) {
      keys.add(o.key());
    }
    keys.add(RemoteKeys.used(revision));
    keys.add(RemoteKeys.unusable(revision));
    objects.delete(keys);
  }
}
