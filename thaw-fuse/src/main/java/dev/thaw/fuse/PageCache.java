package dev.thaw.fuse;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import jnr.ffi.LibraryLoader;

/**
 * Asks the kernel to read ranges of a file into its page cache ahead of use ({@code
 * posix_fadvise(POSIX_FADV_WILLNEED)}), which Java does not offer. On a served file the kernel
 * reads each range with one FUSE request of up to 128 KiB, in the background, where a VMM touching
 * the same pages would have made one request per 4 KiB page, each a round trip through the server.
 */
final class PageCache {
  /** The few libc calls needed. */
  public interface LibC {
    int open(String path, int flags);

    int posix_fadvise(int fd, long offset, long length, int advice);

    int close(int fd);
  }

  private static final int O_RDONLY = 0;
  private static final int POSIX_FADV_WILLNEED = 3;
  private static volatile LibC libc;

  private PageCache() {}

  /** Starts reading each {@code [offset, offset + length)} of {@code file} into the page cache. */
  static void willNeed(Path file, List<long[]> ranges) throws IOException {
    LibC c = libc();
    int fd = c.open(file.toString(), O_RDONLY);
    if (fd < 0) {
      throw new IOException("cannot open " + file + " to read it ahead");
    }
    try {
      for (long[] r : ranges) {
        int err = c.posix_fadvise(fd, r[0], r[1], POSIX_FADV_WILLNEED);
        if (err != 0) {
          throw new IOException("posix_fadvise on " + file + " failed: error " + err);
        }
      }
    } finally {
      c.close(fd);
    }
  }

  private static LibC libc() {
    LibC c = libc;
    if (c == null) {
      c = LibraryLoader.create(LibC.class).load("c");
      libc = c;
    }
    return c;
  }
}
