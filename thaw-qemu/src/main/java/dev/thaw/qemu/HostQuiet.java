package dev.thaw.qemu;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The restores under way on every agent of one host, so that each agent's VMM pool does its
 * background work (QEMU starts, staged restores) only when no agent of the host is restoring: the
 * pools of agents that share a machine (two nodes of {@code thaw serve} or of the demo on one
 * computer) otherwise start QEMUs beside each other's cold starts, a core taken from a restore that
 * the agent doing it cannot see.
 *
 * <p>A directory only this user may enter holds one empty file per restore under way ({@code
 * restoring-<pid>-<n>}, removed at its end) and {@code last-end}, touched as each ends. The host is
 * quiet when no restore file younger than {@link #STALE} is there (an older one is an agent's that
 * died mid-restore) and the last restore ended more than the pool's delay ago. A directory another
 * user owns, or that others may write, is not used: any user of the host could otherwise hold every
 * pool's work off.
 */
final class HostQuiet {
  private static final Logger log = LoggerFactory.getLogger(HostQuiet.class);

  /** A restore file older than this is an agent's that died mid-restore: not waited for. */
  static final Duration STALE = Duration.ofSeconds(60);

  private static final String PREFIX = "restoring-";
  private static final AtomicLong SEQUENCE = new AtomicLong();

  private final Path dir;
  private final Path lastEnd;

  private HostQuiet(Path dir) {
    this.dir = dir;
    this.lastEnd = dir.resolve("last-end");
  }

  /** This user's directory of the host's restores: {@code <temp dir>/thaw-quiet-<user>}. */
  static Path defaultDir() {
    return Path.of(System.getProperty("java.io.tmpdir"))
        .resolve("thaw-quiet-" + System.getProperty("user.name", "user"));
  }

  /**
   * The host's restores as {@code dir} records them (created, readable by this user only); empty,
   * with a warning, when it cannot be made or another user could write to it.
   */
  static Optional<HostQuiet> open(Path dir) {
    try {
      try {
        Files.createDirectory(
            dir,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      } catch (FileAlreadyExistsException e) {
        // Another agent made it: checked below like any.
      }
      Object me = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
      if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)
          || !me.equals(Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS))
          || !PosixFilePermissions.toString(
                  Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS))
              .equals("rwx------")) {
        log.warn(
            "{} is not a directory of this user's only: the VMM pool waits for this agent's"
                + " restores alone",
            dir);
        return Optional.empty();
      }
      return Optional.of(new HostQuiet(dir));
    } catch (IOException | UnsupportedOperationException e) {
      log.warn(
          "cannot use {} ({}): the VMM pool waits for this agent's restores alone",
          dir,
          e.getMessage());
      return Optional.empty();
    }
  }

  /** A restore begins on this host; closing the marker ends it. */
  VmmPool.Restoring restoring() {
    Path marker =
        dir.resolve(PREFIX + ProcessHandle.current().pid() + "-" + SEQUENCE.incrementAndGet());
    try {
      Files.createFile(marker);
    } catch (IOException e) {
      return () -> {}; // the other agents do not see this one: no worse than without
    }
    return () -> {
      try {
        Files.deleteIfExists(marker);
        touch(lastEnd);
      } catch (IOException e) {
        log.debug("cannot record the end of a restore in {}: {}", dir, e.getMessage());
      }
    };
  }

  /**
   * Whether no agent of the host is restoring and none ended a restore within {@code after}; when
   * not, how long to wait at least before asking again.
   */
  Optional<Duration> busyFor(Duration after) {
    long now = System.currentTimeMillis();
    try {
      long ended = Files.getLastModifiedTime(lastEnd).toMillis();
      long left = ended + after.toMillis() - now;
      if (left > 0) {
        return Optional.of(Duration.ofMillis(left));
      }
    } catch (IOException e) {
      // No restore has ended on this host yet.
    }
    try (DirectoryStream<Path> markers = Files.newDirectoryStream(dir, PREFIX + "*")) {
      for (Path m : markers) {
        try {
          if (now - Files.getLastModifiedTime(m).toMillis() < STALE.toMillis()) {
            return Optional.of(after);
          }
        } catch (IOException gone) {
          // Ended meanwhile.
        }
      }
    } catch (IOException e) {
      return Optional.empty();
    }
    return Optional.empty();
  }

  private static void touch(Path file) throws IOException {
    try {
      Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis()));
    } catch (java.nio.file.NoSuchFileException e) {
      Files.createFile(file);
    }
  }
}
