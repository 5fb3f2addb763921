package dev.thaw.core.snapshot;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Remote snapshot storage shared by the cluster (S3, MinIO, the embedded server).
 *
 * <p>Layout: {@code <revision>/<file name>} for payloads and {@code <revision>/manifest.json},
 * written last, as the readiness marker: a revision whose manifest is absent does not exist.
 */
public interface SnapshotStore {
  /** The manifest JSON of {@code revision}, or empty when there is none (yet). */
  Optional<String> manifest(String revision) throws IOException;

  /**
   * Downloads one listed file to {@code target} (created or replaced) and checks its SHA-256
   * against the manifest on the way.
   *
   * @throws SnapshotMismatchException when the content differs from the manifest
   */
  void download(String revision, SnapshotFile file, Path target) throws IOException;

  /** Uploads the files of {@code manifest} from {@code dir}, then the manifest itself. */
  void upload(SnapshotManifest manifest, Path dir) throws IOException;

  /** Revisions with a manifest. */
  List<String> revisions() throws IOException;

  /** Deletes the manifest first (the revision disappears at once), then the payloads. */
  void delete(String revision) throws IOException;

  /** Where the store lives, for logs: never includes credentials. */
  String describe();
}
