package dev.thaw.node.snapshot.cache;

import dev.thaw.core.snapshot.SnapshotFile;
import dev.thaw.core.snapshot.SnapshotManifest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What one {@code stat} per file says of a cache entry's files, taken when their content was
 * verified against the manifest: compared again before every restore from the entry, it tells
 * whether a file was written, truncated or replaced since, for a few microseconds instead of a
 * re-hash.
 *
 * <p>A file is the same when its size, its file key (device and inode), its modification time and
 * its status-change time ({@code ctime}) all are. The {@code ctime} is what makes the check hard to
 * fool: user space can set a file's modification time back after writing into it, but the kernel
 * sets {@code ctime} to now on every write and on every change of the modification time. It also
 * sets it when a name of the file is removed, and the cache does that itself: a fetched memory file
 * keeps the second name QEMU was started on until QEMU has opened it, which may be after the
 * commit. So a new {@code ctime} with fewer names and nothing else changed is no change ({@link
 * Check.Unlinked}), and the fingerprint taken then is the one to compare with from then on. Not
 * seen: a change that keeps all four (bit rot on the disk, a raw write to the device, a write
 * within the kernel's timestamp tick of the verification) — the scrub ({@link CacheScrubber})
 * re-hashes for those.
 *
 * @param files one fingerprint per file of the manifest, in its order
 */
record EntryFingerprint(List<FileFingerprint> files) {
  EntryFingerprint {
    files = List.copyOf(files);
  }

  /**
   * One file's identity.
   *
   * @param name the file's name in the entry
   * @param size its length in bytes
   * @param fileKey what identifies the file on its file system (device and inode)
   * @param links its number of names (hard links)
   * @param modified its modification time
   * @param changed its status-change time ({@code ctime})
   */
  record FileFingerprint(
      String name, long size, Object fileKey, int links, FileTime modified, FileTime changed) {
    FileFingerprint {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(fileKey, "fileKey");
      Objects.requireNonNull(modified, "modified");
      Objects.requireNonNull(changed, "changed");
    }

    /** Stats {@code file} (one system call; a symbolic link is not followed). */
    static FileFingerprint of(Path file) throws IOException {
      Map<String, Object> a =
          Files.readAttributes(
              file, "unix:size,fileKey,nlink,lastModifiedTime,ctime", LinkOption.NOFOLLOW_LINKS);
      return new FileFingerprint(
          file.getFileName().toString(),
          (Long) a.get("size"),
          a.get("fileKey"),
          (Integer) a.get("nlink"),
          (FileTime) a.get("lastModifiedTime"),
          (FileTime) a.get("ctime"));
    }

    /**
     * How this file (as it is now) differs from {@code then}; empty when it is the same, or only
     * lost names since (a new ctime, fewer links, everything else kept).
     */
    Optional<String> differenceFrom(FileFingerprint then) {
      if (!fileKey.equals(then.fileKey)) {
        return Optional.of(
            "replaced by another file (file key " + fileKey + ", was " + then.fileKey + ")");
      }
      if (size != then.size) {
        return Optional.of("resized to " + size + " bytes (was " + then.size + ")");
      }
      if (!modified.equals(then.modified)) {
        return Optional.of("modified at " + modified + " (was " + then.modified + ")");
      }
      if (!changed.equals(then.changed) && links >= then.links) {
        return Optional.of(
            "changed at "
                + changed
                + " (ctime; was "
                + then.changed
                + "), its modification time kept");
      }
      return Optional.empty();
    }
  }

  /**
   * A file of the entry that is not as it was.
   *
   * @param file its name in the entry
   * @param how what differs
   */
  record Change(String file, String how) {
    @Override
    public String toString() {
      return file + " " + how;
    }
  }

  /** Stats the files {@code manifest} lists in {@code dir}. */
  static EntryFingerprint take(SnapshotManifest manifest, Path dir) throws IOException {
    List<FileFingerprint> out = new ArrayList<>();
    for (SnapshotFile f : manifest.files()) {
      out.add(FileFingerprint.of(dir.resolve(f.name())));
    }
    return new EntryFingerprint(out);
  }

  /** What a check found. */
  sealed interface Check {}

  /** The files are as they were verified. */
  record Same() implements Check {}

  /**
   * The files are as they were verified but for names of theirs removed; {@code now} is their
   * fingerprint to compare with from now on.
   */
  record Unlinked(EntryFingerprint now) implements Check {}

  /** A file differs from when it was verified: the entry must not be served. */
  record Changed(Change change) implements Check {}

  /**
   * Compares {@code now} (each file's fingerprint as it is, empty when it cannot be had) with this
   * one: the first file that differs or is missing, else whether names were removed, else the same.
   */
  Check compareWith(List<Optional<FileFingerprint>> now) {
    if (now.size() != files.size()) {
      throw new IllegalArgumentException(now.size() + " files for " + files.size());
    }
    for (int i = 0; i < files.size(); i++) {
      FileFingerprint then = files.get(i);
      Optional<FileFingerprint> current = now.get(i);
      if (current.isEmpty()) {
        return new Changed(new Change(then.name(), "is gone or unreadable"));
      }
      Optional<String> how = current.get().differenceFrom(then);
      if (how.isPresent()) {
        return new Changed(new Change(then.name(), how.get()));
      }
    }
    List<FileFingerprint> current = now.stream().map(Optional::orElseThrow).toList();
    return current.equals(files) ? new Same() : new Unlinked(new EntryFingerprint(current));
  }

  /** Stats the files in {@code dir} again and compares: {@link #compareWith} what they are now. */
  Check check(Path dir) {
    List<Optional<FileFingerprint>> now = new ArrayList<>(files.size());
    for (FileFingerprint f : files) {
      try {
        now.add(Optional.of(FileFingerprint.of(dir.resolve(f.name()))));
      } catch (IOException e) {
        now.add(Optional.empty());
      }
    }
    return compareWith(now);
  }
}
