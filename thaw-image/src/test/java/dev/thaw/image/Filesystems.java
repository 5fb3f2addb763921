package dev.thaw.image;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Reads a root image back into a directory with the format's own tools, owners and modes kept. */
final class Filesystems {
  private Filesystems() {}

  static Path extract(RootImage image, Path dir) throws Exception {
    Files.createDirectories(dir.getParent());
    List<String> cmd =
        switch (image.format()) {
          case EROFS ->
              List.of("fsck.erofs", "--extract=" + dir, "--preserve", image.file().toString());
          case EXT4 -> {
            Files.createDirectories(dir);
            yield List.of("debugfs", "-R", "rdump / " + dir, image.file().toString());
          }
          case SQUASHFS ->
              List.of("unsquashfs", "-q", "-n", "-d", dir.toString(), image.file().toString());
        };
    run(cmd);
    return dir;
  }

  static String run(List<String> cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(2, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new IOException(cmd + " timed out");
    }
    if (p.exitValue() != 0) {
      throw new IOException(cmd + " failed: " + out);
    }
    return out;
  }
}
