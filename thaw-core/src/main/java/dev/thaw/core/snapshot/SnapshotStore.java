package dev.thaw.core.snapshot;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Remote snapshot storage shared by the cluster (S3, MinIO, the embedded server).
 *
 * <p>Each revision has a manifest, written last as the readiness marker: a revision whose manifest
 * is absent does not exist. Format-2 manifests list content-addressed chunks stored once for the
 * whole store; format-1 manifests list whole files stored under the revision.
 */
public interface SnapshotStore {
  /** The manifest JSON of {@code revision}, or empty when there is none (yet). */
  Optional<String> manifest(String revision) throws IOException;

  /**
   * The SHA-256 (lower-case hex) of {@code revision}'s manifest JSON as {@link #manifest} returns
   * it (UTF-8), kept apart from it so that a node can check a manifest it got elsewhere (from a
   * peer) with one small read. Empty when the store keeps none for it (a snapshot stored before
   * digests were kept, or a store that keeps none): such a manifest is read from the store itself.
   */
  default Optional<String> manifestSha256(String revision) throws IOException {
    return Optional.empty();
  }

  /**
   * Downloads one whole file of a format-1 manifest to {@code target} (created or replaced) and
   * checks its SHA-256 against the manifest on the way.
   *
   * @throws SnapshotMismatchException when the content differs from the manifest
   */
  void download(String revision, SnapshotFile file, Path target) throws IOException;

  /**
   * One stored chunk, decoded but not verified: the caller compares its SHA-256.
   *
   * @param sha256 the chunk's name
   * @param length its decoded length, from the manifest
   * @throws SnapshotMismatchException when the stored bytes cannot be decoded to {@code length}
   * @throws IOException when it is missing or storage is unreachable
   */
  FetchedChunk chunk(String sha256, int length) throws IOException;

  /**
   * A chunk as fetched.
   *
   * @param data the decoded content
   * @param storedBytes how many bytes crossed the network for it
   * @param verified whether the store already checked it: its stored bytes matched the digest
   *     recorded for them and decoded to exactly the expected length. Otherwise the caller checks
   *     the content against the chunk's name.
   */
  record FetchedChunk(byte[] data, long storedBytes, boolean verified) {}

  /**
   * A revision's working pages as fetched.
   *
   * @param data the decoded pages, from its position to its limit; off the Java heap where the
   *     store can (a direct buffer: several MiB in one piece, which the garbage collector would
   *     otherwise handle as a humongous object)
   * @param storedBytes how many bytes crossed the network for them
   */
  record FetchedPages(java.nio.ByteBuffer data, long storedBytes) {}

  /**
   * Fetches and decodes the working pages of {@code revision}'s memory file (see {@link
   * WorkingPages}): their content, run after run, unchecked (the caller checks its length against
   * {@link WorkingPages#bytes()} and its content against {@link WorkingPages#sha256()}). Empty when
   * the store has none for it. The manifest need not be known yet: a lazy restore asks for them
   * alongside it.
   *
   * @param maxLength the most bytes they may decode to (the memory file's size): a longer object is
   *     refused, not decoded
   */
  default Optional<FetchedPages> workingPages(String revision, long maxLength) throws IOException {
    return Optional.empty();
  }

  /** The index of the revision's pack, or empty when it has none (format 1, or written before). */
  Optional<PackIndex> packIndex(String revision) throws IOException;

  /**
   * Fetches a run of pack entries (sorted by offset, close together) with one ranged read and
   * decodes each. A frame whose stored bytes do not match the entry's recorded digest, or that does
   * not decode to its length, comes back empty and unverified: the caller's content check then
   * fails and it fetches that chunk from its own object. Entries without a recorded digest come
   * back unverified, for the caller to check by content.
   *
   * @param lengths the decoded length of each entry, from the manifest
   * @return one chunk per entry, in order; {@code storedBytes} of the first carries the whole range
   */
  List<FetchedChunk> packChunks(String revision, List<PackIndex.Entry> run, List<Integer> lengths)
      throws IOException;

  /**
   * Uploads the files of {@code manifest} from {@code dir}, then the manifest itself, under the
   * name {@code revision} (usually the manifest's own; a {@link VariantSnapshotStore} adds what the
   * snapshot needs to restore). For a format-2 manifest only chunks the store lacks are sent.
   */
  void upload(String revision, SnapshotManifest manifest, Path dir) throws IOException;

  /** Uploads {@code manifest}'s snapshot under its own revision. */
  default void upload(SnapshotManifest manifest, Path dir) throws IOException {
    upload(manifest.revision(), manifest, dir);
  }

  /** Records that {@code revision} was just restored, for garbage collection by age. */
  void markUsed(String revision) throws IOException;

  /**
   * Marks the snapshot of {@code revision} made at {@code createdAt} unusable: a clone of it never
   * answered, so other nodes should not fetch it. A snapshot of the revision made later (another
   * {@code createdAt}) replaces it and is usable again.
   */
  void markUnusable(String revision, Instant createdAt) throws IOException;

  /** The creation time of the snapshot of {@code revision} marked unusable, if any. */
  Optional<Instant> unusable(String revision) throws IOException;

  /** Revisions with a manifest. */
  List<String> revisions() throws IOException;

  /** Deletes the manifest first (the revision disappears at once), then its own objects. */
  void delete(String revision) throws IOException;

  /** Where the store lives, for logs: never includes credentials. */
  String describe();
}
