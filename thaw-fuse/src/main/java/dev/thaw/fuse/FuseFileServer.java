package dev.thaw.fuse;

import dev.thaw.core.lazy.FileServer;
import dev.thaw.core.lazy.ServedFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import jnr.ffi.Pointer;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import ru.serce.jnrfuse.ErrorCodes;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.FuseStubFS;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseFileInfo;

/**
 * A {@link FileServer} on FUSE: one flat directory of read-only files whose files are {@link
 * ServedFile}s. The kernel keeps what was read in its page cache ({@code kernel_cache}), so every
 * byte crosses into this process once per mount, and reads are at most {@link #MAX_READ} bytes,
 * which bounds how much one page fault of a mapping asks for. Bytes known ahead of use can be put
 * into that page cache without a read ({@link #store}).
 *
 * <p>Requests are served by one thread, the Java thread that runs libfuse's loop ({@code -s}).
 * libfuse's multi-threaded loop calls into the JVM from native threads of its own, and each such
 * call costs far more than the read it serves: reading 244 scattered runs of a served file into the
 * page cache took 30–420 ms of CPU with it and 10–70 ms with one thread (the bench in
 * docs/architecture/lazy-restore.md). The price: a read that waits for its chunk holds up the reads
 * behind it.
 *
 * <p>libfuse 2 mounts with mount(2) when running as root (no {@code fusermount} needed); a mount
 * left behind by a killed process is detached when the next server mounts on its directory.
 */
public final class FuseFileServer implements FileServer {
  private static final Logger log = LoggerFactory.getLogger(FuseFileServer.class);

  /** Largest read the kernel sends, and its readahead window. */
  public static final int MAX_READ = 128 << 10;

  private static final int PAGE = 4096;

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,200}");
  private static final ThreadLocal<byte[]> BUFFER =
      ThreadLocal.withInitial(() -> new byte[MAX_READ]);

  private final Path dir;
  private final Map<String, ServedFile> files = new ConcurrentHashMap<>();
  private final Map<Long, ServedFile> open = new ConcurrentHashMap<>();
  private final AtomicLong handles = new AtomicLong();
  private final Fs fs = new Fs();
  private final Map<String, Long> nodeIds = new ConcurrentHashMap<>();
  private volatile Pointer fuse;
  private StoreNotify notify;
  private boolean closed;

  private FuseFileServer(Path dir) {
    this.dir = dir;
  }

  /**
   * Mounts a new, empty server on {@code dir} (created if missing), after detaching a stale mount a
   * killed process left there.
   *
   * @throws IOException when FUSE is not available (no {@code /dev/fuse}, no libfuse 2, no right to
   *     mount)
   */
  public static FuseFileServer mount(Path dir) throws IOException {
    return mount(dir, -1);
  }

  /**
   * Like {@link #mount(Path)}, with the kernel's readahead on the mount set to {@code readAheadKb}
   * (0: a page fault of a mapping reads its page alone, so the reads this server sees are the pages
   * a process touched; -1: the kernel's default).
   */
  public static FuseFileServer mount(Path dir, int readAheadKb) throws IOException {
    Path abs = dir.toAbsolutePath().normalize();
    detachStale(abs);
    Files.createDirectories(abs);
    if (!Files.exists(Path.of("/dev/fuse"))) {
      throw new IOException("cannot serve files through FUSE: /dev/fuse is missing");
    }
    FuseFileServer server;
    try {
      server = new FuseFileServer(abs);
      server.fs.mount(
          abs,
          false,
          false,
          new String[] {
            "-s",
            "-o",
            "kernel_cache,fsname=thaw,subtype=thaw,max_read="
                + MAX_READ
                + ",attr_timeout=86400,entry_timeout=86400,negative_timeout=0"
          });
    } catch (RuntimeException | LinkageError e) {
      throw new IOException("cannot mount a FUSE file server on " + abs + ": " + e.getMessage(), e);
    }
    if (readAheadKb >= 0) {
      try {
        Files.writeString(
            Path.of("/sys/class/bdi", device(abs), "read_ahead_kb"), Integer.toString(readAheadKb));
      } catch (IOException | RuntimeException e) {
        server.close();
        throw new IOException("cannot set the readahead of " + abs + ": " + e.getMessage(), e);
      }
    }
    return server;
  }

  /** The directory files are served in. */
  public Path directory() {
    return dir;
  }

  @Override
  public Path publish(String name, ServedFile file) {
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("not a plain file name: '" + name + "'");
    }
    if (files.putIfAbsent(name, file) != null) {
      throw new IllegalArgumentException(name + " is served already");
    }
    return dir.resolve(name);
  }

  @Override
  public void readAhead(String name, List<long[]> ranges) throws IOException {
    if (!files.containsKey(name)) {
      throw new IllegalArgumentException(name + " is not served");
    }
    PageCache.willNeed(dir.resolve(name), ranges);
  }

  /**
   * Pushes {@code data} into the page cache of the served file {@code name} with one write to the
   * FUSE device per MiB ({@link StoreNotify}); the kernel learns the file's node first, through a
   * lookup this process makes.
   */
  @Override
  public boolean store(String name, long offset, ByteBuffer data) throws IOException {
    if (!files.containsKey(name)) {
      throw new IllegalArgumentException(name + " is not served");
    }
    if (offset % PAGE != 0 || data.remaining() % PAGE != 0) {
      throw new IllegalArgumentException(
          "not whole pages: " + data.remaining() + " bytes at " + offset);
    }
    Long nodeId = nodeIds.get(name);
    if (nodeId == null) {
      // libfuse's high-level API numbers a file's inode as its node (no use_ino).
      nodeId = (Long) Files.getAttribute(dir.resolve(name), "unix:ino");
      nodeIds.put(name, nodeId);
    }
    synchronized (this) {
      // libfuse has called init before it answered the lookup, so fuse is known unless closed.
      if (closed || fuse == null) {
        return false;
      }
      if (notify == null) {
        notify = StoreNotify.on(fuse);
      }
      notify.store(nodeId, offset, data);
      return true;
    }
  }

  @Override
  public void withdraw(String name) {
    files.remove(name);
    nodeIds.remove(name);
  }

  @Override
  public void close() {
    synchronized (this) {
      closed = true; // the session's channel, which stores write to, goes with the mount
    }
    files.clear();
    if (fs.isMounted()) {
      fs.umount();
      detachStale(dir);
    }
  }

  /** The FUSE operations, called on libfuse's threads. */
  private final class Fs extends FuseStubFS {
    boolean isMounted() {
      return mounted.get();
    }

    @Override
    public Pointer init(Pointer conn) {
      fuse = getContext().fuse.get();
      return null;
    }

    @Override
    public int getattr(String path, FileStat stat) {
      if (path.equals("/")) {
        stat.st_mode.set(FileStat.S_IFDIR | 0555);
        stat.st_nlink.set(2);
        return 0;
      }
      ServedFile f = files.get(path.substring(1));
      if (f == null) {
        return -ErrorCodes.ENOENT();
      }
      stat.st_mode.set(FileStat.S_IFREG | 0444);
      stat.st_nlink.set(1);
      stat.st_size.set(f.size());
      return 0;
    }

    @Override
    public int readdir(
        String path, Pointer buf, FuseFillDir filler, @off_t long offset, FuseFileInfo fi) {
      if (!path.equals("/")) {
        return -ErrorCodes.ENOTDIR();
      }
      filler.apply(buf, ".", null, 0);
      filler.apply(buf, "..", null, 0);
      for (String name : List.copyOf(files.keySet())) {
        filler.apply(buf, name, null, 0);
      }
      return 0;
    }

    @Override
    public int open(String path, FuseFileInfo fi) {
      ServedFile f = files.get(path.substring(1));
      if (f == null) {
        return -ErrorCodes.ENOENT();
      }
      // QEMU opens a memory file read-write even to map it private (copy-on-write, never
      // written back): opening for writing is allowed, writing is not.
      if ((fi.flags.get() & 3) == 1) { // O_WRONLY
        return -ErrorCodes.EROFS();
      }
      long fh = handles.incrementAndGet();
      open.put(fh, f);
      fi.fh.set(fh);
      return 0;
    }

    @Override
    public int read(
        String path, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
      ServedFile f = open.get(fi.fh.get());
      if (f == null) {
        return -ErrorCodes.EBADF();
      }
      byte[] data = BUFFER.get();
      int want = (int) Math.min(Math.min(size, data.length), Math.max(0, f.size() - offset));
      if (want == 0) {
        return 0;
      }
      try {
        int got = f.read(offset, ByteBuffer.wrap(data, 0, want));
        buf.put(0, data, 0, got);
        return got;
      } catch (IOException | RuntimeException e) {
        log.warn("read of {} at {} failed: {}", path, offset, e.toString());
        return -ErrorCodes.EIO();
      }
    }

    @Override
    public int write(
        String path, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
      return -ErrorCodes.EROFS();
    }

    @Override
    public int truncate(String path, @off_t long size) {
      return -ErrorCodes.EROFS();
    }

    @Override
    public int ftruncate(String path, @off_t long size, FuseFileInfo fi) {
      return -ErrorCodes.EROFS();
    }

    @Override
    public int release(String path, FuseFileInfo fi) {
      open.remove(fi.fh.get());
      return 0;
    }
  }

  /** Whether something is mounted on {@code dir}. */
  public static boolean isMounted(Path dir) {
    return mountPoints().contains(dir.toAbsolutePath().normalize().toString());
  }

  /** Lazily detaches whatever is mounted on {@code dir} (a server that was killed, say). */
  static void detachStale(Path dir) {
    if (!isMounted(dir)) {
      return;
    }
    try {
      Process p =
          new ProcessBuilder("umount", "-l", dir.toString()).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
        log.warn("cannot detach the stale mount on {}: {}", dir, out);
      }
    } catch (IOException e) {
      log.warn("cannot detach the stale mount on {}: {}", dir, e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The device ({@code major:minor}) of the mount on {@code dir}. */
  private static String device(Path dir) throws IOException {
    return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
        .map(l -> l.split(" "))
        .filter(f -> f.length > 4 && unescape(f[4]).equals(dir.toString()))
        .map(f -> f[2])
        .reduce((a, b) -> b)
        .orElseThrow(() -> new IOException(dir + " is not mounted"));
  }

  /** Mount points of this mount namespace (octal escapes of /proc/self/mountinfo decoded). */
  static List<String> mountPoints() {
    try {
      return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
          .map(l -> l.split(" "))
          .filter(f -> f.length > 4)
          .map(f -> unescape(f[4]))
          .toList();
    } catch (IOException e) {
      return List.of();
    }
  }

  private static String unescape(String s) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && i + 3 < s.length()) {
        out.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
        i += 3;
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }
}
