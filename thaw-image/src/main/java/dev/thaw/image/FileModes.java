package dev.thaw.image;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;

/**
 * Sets a file's 12 mode bits. {@code java.nio} sets the 9 permission bits; set-user-ID,
 * set-group-ID and sticky bits need {@code chmod}. Few files carry them (su, passwd, /tmp), so one
 * process each is cheap.
 */
final class FileModes {
  private static final PosixFilePermission[] BY_BIT = {
    PosixFilePermission.OTHERS_EXECUTE,
    PosixFilePermission.OTHERS_WRITE,
    PosixFilePermission.OTHERS_READ,
    PosixFilePermission.GROUP_EXECUTE,
    PosixFilePermission.GROUP_WRITE,
    PosixFilePermission.GROUP_READ,
    PosixFilePermission.OWNER_EXECUTE,
    PosixFilePermission.OWNER_WRITE,
    PosixFilePermission.OWNER_READ
  };

  private FileModes() {}

  /** Sets {@code mode} on {@code p}, a regular file or directory just created (never a link). */
  static void set(Path p, int mode) throws IOException {
    Set<PosixFilePermission> s = EnumSet.noneOf(PosixFilePermission.class);
    for (int bit = 0; bit < BY_BIT.length; bit++) {
      if ((mode & (1 << bit)) != 0) {
        s.add(BY_BIT[bit]);
      }
    }
    Files.setPosixFilePermissions(p, s);
    if ((mode & 07000) != 0) {
      chmod(p, mode);
    }
  }

  private static void chmod(Path p, int mode) throws IOException {
    Process process =
        new ProcessBuilder("chmod", Integer.toOctalString(mode), "--", p.toString())
            .redirectErrorStream(true)
            .start();
    try {
      String out = new String(process.getInputStream().readAllBytes()).strip();
      if (process.waitFor() != 0) {
        throw new IOException("chmod " + Integer.toOctalString(mode) + " " + p + ": " + out);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroy();
      throw new java.io.InterruptedIOException("interrupted in chmod");
    }
  }
}
