package dev.thaw.cli;

import dev.thaw.fuse.FuseFileServer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Mounts the FUSE file server that lazy restores serve memory files from, for the commands that run
 * snapshot nodes.
 */
final class LazyRestoreMount {
  private LazyRestoreMount() {}

  /**
   * Mounts a file server on {@code dir} (a stale mount a killed process left there is detached
   * first), with the kernel's readahead off, so that the reads it sees are the pages a guest
   * touched; empty, with one line on {@code out} saying why, where FUSE is not available.
   */
  static Optional<FuseFileServer> mount(Path dir, PrintStream out) {
    try {
      return Optional.of(FuseFileServer.mount(dir, 0));
    } catch (IOException e) {
      out.println(
          "lazy restore off: "
              + e.getMessage()
              + "; remote restores fetch whole snapshots before the guest resumes");
      return Optional.empty();
    }
  }
}
