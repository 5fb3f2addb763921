package dev.thaw.node.remote;

import dev.thaw.core.snapshot.SnapshotManifest;

/**
 * The key layout of remote snapshot storage, relative to the object store's root:
 *
 * <ul>
 *   <li>{@code <revision>/manifest.json}: written last, deleted first;
 *   <li>{@code <revision>/_manifest.sha256}: the SHA-256 of the manifest (64 hex digits), written
 *       just before it, so that a node can check a manifest a peer hands it with one small read;
 *   <li>{@code _chunks/<ab>/<sha256>}: one zstd frame per distinct chunk of every format-2
 *       snapshot, stored once (an existence check precedes each PUT);
 *   <li>{@code <revision>/_pack} and {@code _pack.json}: the revision's pack, a read-optimised copy
 *       of its chunks in file order, and where each lies in it;
 *   <li>{@code <revision>/_pages}: the pages the snapshot's first clone read ({@link
 *       dev.thaw.core.snapshot.WorkingPages}), one zstd frame, for a lazy restore to fetch first;
 *   <li>{@code <revision>/<file>}: whole files of format-1 snapshots;
 *   <li>{@code _uploads/<revision>.<id>}: the manifest of an upload in progress, so that garbage
 *       collection spares the chunks it relies on;
 *   <li>{@code _used/<revision>}: touched at restores, for collection by age;
 *   <li>{@code _unusable/<revision>}: the creation time of the revision's snapshot found dead;
 *   <li>{@code _gc.lock}: present while a garbage collection runs.
 * </ul>
 *
 * Revision names never start with {@code _}, so these keys cannot collide with a revision's.
 */
final class RemoteKeys {
  static final String CHUNKS = "_chunks/";
  static final String UPLOADS = "_uploads/";
  static final String USED = "_used/";
  static final String UNUSABLE = "_unusable/";
  static final String GC_LOCK = "_gc.lock";
  static final String PACK = "_pack";
  static final String PACK_INDEX = "_pack.json";
  static final String PAGES = "_pages";
  static final String MANIFEST_SHA256 = "_manifest.sha256";

  private RemoteKeys() {}

  /** Whether a top-level folder holds a revision rather than the store's own records. */
  static boolean isRevision(String folder) {
    return !folder.startsWith("_");
  }

  /** The folder of {@code revision}'s own objects, with its trailing slash. */
  static String revisionFolder(String revision) {
    return revision + "/";
  }

  static String file(String revision, String name) {
    return revisionFolder(revision) + name;
  }

  static String manifest(String revision) {
    return file(revision, SnapshotManifest.FILE_NAME);
  }

  static String manifestSha256(String revision) {
    return file(revision, MANIFEST_SHA256);
  }

  static String pack(String revision) {
    return file(revision, PACK);
  }

  static String pages(String revision) {
    return file(revision, PAGES);
  }

  static String packIndex(String revision) {
    return file(revision, PACK_INDEX);
  }

  static String chunk(String sha256) {
    return CHUNKS + sha256.substring(0, 2) + "/" + sha256;
  }

  /** The chunk name (its SHA-256) of a key under {@link #CHUNKS}. */
  static String chunkDigest(String key) {
    return key.substring(key.lastIndexOf('/') + 1);
  }

  static String upload(String revision, String id) {
    return UPLOADS + revision + "." + id;
  }

  static String used(String revision) {
    return USED + revision;
  }

  static String unusable(String revision) {
    return UNUSABLE + revision;
  }
}
