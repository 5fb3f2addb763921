package dev.thaw.core.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Small file-tree operations the JDK lacks. */
public final class FileTrees {
  private FileTrees() {}

  /** Deletes {@code root} and everything below it; a missing root is not an error. */
  public static void deleteRecursively(Path root) throws IOException {
    if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  /** Like {@link #deleteRecursively} for clean-up paths where a failure must not mask another. */
  public static void deleteQuietly(Path root) {
    try {
      deleteRecursively(root);
    } catch (IOException e) {
      // A leftover directory is named as temporary and removed on the next start.
    }
  }
}
