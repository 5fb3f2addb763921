package dev.thaw.image;

import dev.thaw.core.io.FileTrees;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * Root images on disk, one per image digest and format, bounded in total size.
 *
 * <pre>
 * DIR/entries/FORMAT-HEX/rootfs.img   the filesystem image
 * DIR/entries/FORMAT-HEX/image.json   {@link Stored}: digest, format, size, config
 * DIR/locks/FORMAT-HEX.lock           held (flock) while that entry is built or removed
 * DIR/tmp/                            builds in progress and removals; cleared under the lock
 * </pre>
 *
 * An entry is built in {@code tmp/} and renamed into {@code entries/} whole (an atomic rename of
 * its directory), so an entry that exists is complete; a crash leaves only {@code tmp/} debris,
 * removed by the next build of the same entry. Concurrent builds of one entry, in this process or
 * another, wait for each other and the later one finds the entry built. The directory's
 * modification time records the last use; when the total size passes the capacity, the least
 * recently used entries go (an entry being built or removed by another process is skipped; a VM
 * that has a removed image open keeps reading it, as Linux keeps a deleted file's data).
 */
public final class RootImageCache {
  /** The version of {@code image.json}. */
  public static final int FORMAT_VERSION = 1;

  private static final JsonMapper JSON =
      JsonMapper.builder()
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .build();

  /**
   * The {@code image.json} of an entry.
   *
   * @param formatVersion {@link #FORMAT_VERSION}
   */
  public record Stored(
      int formatVersion,
      String imageDigest,
      FilesystemFormat format,
      long sizeBytes,
      ImageConfig config) {}

  /** Builds an entry's {@code rootfs.img} in the directory given and returns its config. */
  @FunctionalInterface
  public interface Build {
    ImageConfig writeInto(Path workDir) throws IOException;
  }

  private final Path dir;
  private final long capacityBytes;
  private final Supplier<Instant> clock;

  /**
   * One lock per lock file in this JVM, whichever cache object asks: a JVM may hold only one {@code
   * flock} of a file, so two caches opened on one directory must queue here first.
   */
  private static final ConcurrentHashMap<Path, ReentrantLock> LOCKS = new ConcurrentHashMap<>();

  private RootImageCache(Path dir, long capacityBytes, Supplier<Instant> clock) {
    this.dir = dir.toAbsolutePath().normalize();
    this.capacityBytes = capacityBytes;
    this.clock = clock;
  }

  /** Opens (and creates) a cache in {@code dir} holding at most {@code capacityBytes}. */
  public static RootImageCache open(Path dir, long capacityBytes, Supplier<Instant> clock)
      throws IOException {
    if (capacityBytes <= 0) {
      throw new IllegalArgumentException("capacity must be positive: " + capacityBytes);
    }
    for (String sub : List.of("entries", "locks", "tmp")) {
      Files.createDirectories(dir.resolve(sub));
    }
    return new RootImageCache(dir, capacityBytes, clock);
  }

  /** The entry for {@code digest} in {@code format} if it is built, marked as used now. */
  public Optional<RootImage> get(String digest, FilesystemFormat format) throws IOException {
    Path entry = entry(digest, format);
    Optional<RootImage> image = read(entry);
    if (image.isPresent()) {
      touch(entry);
    }
    return image;
  }

  /**
   * The entry for {@code digest} in {@code format}, built by {@code build} unless it already is.
   * Returns whether it was built by this call with the image.
   */
  public Lookup getOrBuild(String digest, FilesystemFormat format, Build build) throws IOException {
    Optional<RootImage> hit = get(digest, format);
    if (hit.isPresent()) {
      return new Lookup(hit.get(), false);
    }
    String key = key(digest, format);
    try (Held held = lock(key)) {
      hit = get(digest, format);
      if (hit.isPresent()) {
        return new Lookup(hit.get(), false);
      }
      Path work = dir.resolve("tmp").resolve(key);
      FileTrees.deleteRecursively(work); // a crashed build's debris, ours to clear under the lock
      Files.createDirectories(work);
      try {
        ImageConfig config = build.writeInto(work);
        Path file = work.resolve("rootfs.img");
        long size = Files.size(file);
        Files.writeString(
            work.resolve("image.json"),
            JSON.writerWithDefaultPrettyPrinter()
                .writeValueAsString(new Stored(FORMAT_VERSION, digest, format, size, config)));
        Files.move(work, entry(digest, format), StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException | RuntimeException e) {
        FileTrees.deleteQuietly(work);
        throw e;
      }
      touch(entry(digest, format));
    }
    evict(key);
    return new Lookup(read(entry(digest, format)).orElseThrow(), true);
  }

  /** An entry and whether this call built it. */
  public record Lookup(RootImage image, boolean built) {}

  /** Every complete entry, least recently used first. */
  public List<RootImage> list() throws IOException {
    List<RootImage> out = new ArrayList<>();
    for (Path e : byLastUse()) {
      read(e).ifPresent(out::add);
    }
    return out;
  }

  private List<Path> byLastUse() throws IOException {
    List<Path> entries = new ArrayList<>();
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir.resolve("entries"))) {
      s.forEach(entries::add);
    }
    List<Object[]> timed = new ArrayList<>();
    for (Path e : entries) {
      try {
        timed.add(new Object[] {e, Files.getLastModifiedTime(e)});
      } catch (NoSuchFileException gone) {
        // removed meanwhile
      }
    }
    timed.sort(Comparator.comparing(t -> (FileTime) t[1]));
    return timed.stream().map(t -> (Path) t[0]).toList();
  }

  private void evict(String justBuilt) throws IOException {
    List<Path> entries = byLastUse();
    long total = 0;
    for (Path e : entries) {
      total += read(e).map(RootImage::sizeBytes).orElse(0L);
    }
    for (Path e : entries) {
      if (total <= capacityBytes) {
        return;
      }
      String key = e.getFileName().toString();
      if (key.equals(justBuilt)) {
        continue;
      }
      Optional<Held> held = tryLock(key);
      if (held.isEmpty()) {
        continue;
      }
      try (Held h = held.get()) {
        Optional<RootImage> image = read(e);
        if (image.isEmpty()) {
          continue;
        }
        // Renamed away first, so a reader never sees half an entry.
        Path doomed = dir.resolve("tmp").resolve("removed-" + UUID.randomUUID());
        Files.move(e, doomed, StandardCopyOption.ATOMIC_MOVE);
        FileTrees.deleteRecursively(doomed);
        total -= image.get().sizeBytes();
      }
    }
  }

  private Optional<RootImage> read(Path entry) throws IOException {
    Path json = entry.resolve("image.json");
    String text;
    try {
      text = Files.readString(json);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    Stored s;
    try {
      s = JSON.readValue(text, Stored.class);
    } catch (JacksonException e) {
      throw new IOException(json + " is not a root image record: " + e.getOriginalMessage(), e);
    }
    if (s.formatVersion() != FORMAT_VERSION) {
      throw new IOException(json + ": format version " + s.formatVersion() + ", expected 1");
    }
    return Optional.of(
        new RootImage(
            s.imageDigest(), entry.resolve("rootfs.img"), s.sizeBytes(), s.format(), s.config()));
  }

  private void touch(Path entry) {
    try {
      Files.setLastModifiedTime(entry, FileTime.from(clock.get()));
    } catch (IOException e) {
      // Removed meanwhile, or a read-only cache: the use is not worth an error.
    }
  }

  private Path entry(String digest, FilesystemFormat format) {
    return dir.resolve("entries").resolve(key(digest, format));
  }

  /**
   * Where the root image file of {@code digest} in {@code format} is once its entry is built: a
   * function may name it before (a root image fetched when first used).
   */
  public Path file(String digest, FilesystemFormat format) {
    return entry(digest, format).resolve("rootfs.img");
  }

  /**
   * The name of the entry directory of {@code digest} in {@code format} ({@code FORMAT-HEX}): the
   * same in every cache, so it tells which image and format a root image file is.
   */
  public static String entryName(String digest, FilesystemFormat format) {
    return key(digest, format);
  }

  private static String key(String digest, FilesystemFormat format) {
    return format.mountType() + "-" + new Descriptor("", digest, 0).hex();
  }

  /** A key's lock in this process and across processes. */
  private final class Held implements AutoCloseable {
    private final ReentrantLock local;
    private final FileChannel channel;
    private final FileLock lock;

    Held(ReentrantLock local, FileChannel channel, FileLock lock) {
      this.local = local;
      this.channel = channel;
      this.lock = lock;
    }

    @Override
    public void close() throws IOException {
      try {
        lock.release();
        channel.close();
      } finally {
        local.unlock();
      }
    }
  }

  private Held lock(String key) throws IOException {
    ReentrantLock local = LOCKS.computeIfAbsent(lockPath(key), k -> new ReentrantLock());
    local.lock();
    FileChannel channel = null;
    try {
      channel = lockFile(key);
      return new Held(local, channel, channel.lock());
    } catch (IOException | RuntimeException e) {
      if (channel != null) {
        channel.close();
      }
      local.unlock();
      throw e;
    }
  }

  private Optional<Held> tryLock(String key) throws IOException {
    ReentrantLock local = LOCKS.computeIfAbsent(lockPath(key), k -> new ReentrantLock());
    if (!local.tryLock()) {
      return Optional.empty();
    }
    FileChannel channel = null;
    try {
      channel = lockFile(key);
      FileLock lock = channel.tryLock();
      if (lock == null) {
        channel.close();
        local.unlock();
        return Optional.empty();
      }
      return Optional.of(new Held(local, channel, lock));
    } catch (IOException | RuntimeException e) {
      if (channel != null) {
        channel.close();
      }
      local.unlock();
      throw e;
    }
  }

  private Path lockPath(String key) {
    return dir.resolve("locks").resolve(key + ".lock");
  }

  private FileChannel lockFile(String key) throws IOException {
    return FileChannel.open(lockPath(key), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
  }
}
