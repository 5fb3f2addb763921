package dev.thaw.image;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Set-user-ID, set-group-ID and sticky bits, which {@code java.nio} cannot set: {@code chmod} does.
 * Few files carry them (su, passwd, /tmp), so one process each is cheap.
 */
final class SpecialModes {
  private SpecialModes() {}

  /** Sets {@code mode} (all 12 bits) on {@code p}, a regular file or directory just created. */
  static void chmod(Path p, int mode) throws IOException {
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
