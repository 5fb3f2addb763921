package dev.thaw.node.snapshot.cache;

import dev.thaw.core.io.FileTrees;
import dev.thaw.core.snapshot.SnapshotFormatException;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotManifestCodec;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * A snapshot cache's directory as tools see it, without opening the cache: its lock (one process
 * owns a cache directory), a listing of its entries, the removal of one entry. Opening the cache
 * ({@link LocalSnapshotCache#open}) would rebuild its index under the caller's own capacity and
 * VMM, and could drop entries the node keeps; these touch only what they are asked to.
 */
public final class CacheDirectory {
  private CacheDirectory() {}

  /** A held cache-directory lock. */
  public interface Lock extends AutoCloseable {
    @Override
    void close() throws IOException;
  }

  /**
   * Takes the lock of the cache at {@code root} (created if need be).
   *
   * @throws IOException when another process (or another cache in this one) holds it
   */
  public static Lock lock(Path root) throws IOException {
    Files.createDirectories(root);
    FileChannel channel =
        FileChannel.open(root.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock held;
    try {
      held = channel.tryLock();
    } catch (OverlappingFileLockException sameJvm) {
      held = null;
    } catch (IOException e) {
      channel.close();
      throw e;
    }
    if (held == null) {
      channel.close();
      throw new IOException("snapshot cache " + root + " is in use by another process");
    }
    FileLock lock = held;
    return () -> {
      try (channel) {
        lock.release();
      }
    };
  }

  /**
   * Deletes one committed entry of the cache at {@code root}: no recovery, no eviction, no other
   * entry touched (what {@code thaw snapshots rm} needs). Holds the directory's lock while it
   * deletes, so it refuses while an agent owns the cache.
   *
   * @return false when the cache holds no entry of {@code revision}
   * @throws IOException when another process owns the cache, or the entry cannot be deleted
   */
  public static boolean removeEntry(Path root, String revision) throws IOException {
    if (!revision.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
      throw new IllegalArgumentException("not a revision: " + revision);
    }
    Path entry = root.resolve("entries").resolve(revision);
    if (!Files.isDirectory(root)) {
      return false;
    }
    try (Lock held = lock(root)) {
      if (!Files.isRegularFile(entry.resolve(SnapshotManifest.FILE_NAME))) {
        return false;
      }
      // Out of entries/ in one step; incoming/ is emptied at the next start if this dies here.
      Path incoming = Files.createDirectories(root.resolve("incoming"));
      Path doomed = Files.createTempDirectory(incoming, revision + ".removed.");
      Files.move(entry, doomed.resolve(revision), StandardCopyOption.ATOMIC_MOVE);
      FileTrees.deleteRecursively(doomed);
      return true;
    }
  }

  /** A committed entry as {@link #peek} sees it. */
  public record Listing(SnapshotManifest manifest, Instant lastUsed) {}

  /**
   * Lists the committed entries under {@code root} without taking ownership of the directory (safe
   * while an agent runs): unreadable entries are skipped, nothing is deleted.
   */
  public static List<Listing> peek(Path root) throws IOException {
    Path dir = root.resolve("entries");
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    List<Listing> out = new ArrayList<>();
    try (Stream<Path> entries = Files.list(dir)) {
      for (Path e : entries.sorted().toList()) {
        try {
          Path manifest = e.resolve(SnapshotManifest.FILE_NAME);
          out.add(
              new Listing(
                  SnapshotManifestCodec.parse(Files.readString(manifest)),
                  Files.getLastModifiedTime(manifest).toInstant()));
        } catch (IOException | SnapshotFormatException skipped) {
          // Being written or damaged: the owner deals with it at its next start.
        }
      }
    }
    return out;
  }
}
