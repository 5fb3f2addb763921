package dev.thaw.image;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;

/**
 * Reads a file of an image's tree as the image's own programs would see it with the tree as their
 * root: symbolic links are followed inside the tree only (an absolute target starts again at the
 * tree's root). A link that would leave the tree ({@code ..} above its root), a loop, or a path
 * that is not a regular file in the end reads as absent: the host's files are never read.
 */
final class TreeFiles {
  /** Links followed at most, as Linux's {@code MAXSYMLINKS}. */
  private static final int MAX_LINKS = 40;

  private TreeFiles() {}

  /**
   * The text of {@code path} (absolute, inside the image) in {@code root}, if it is a regular file
   * there.
   *
   * @throws ImageException when it is over {@code maxBytes}
   */
  static Optional<String> read(Path root, String path, int maxBytes) throws IOException {
    Optional<Path> file = resolve(root, path);
    if (file.isEmpty()) {
      return Optional.empty();
    }
    try (InputStream in = Files.newInputStream(file.get(), LinkOption.NOFOLLOW_LINKS)) {
      byte[] bytes = in.readNBytes(maxBytes + 1);
      if (bytes.length > maxBytes) {
        throw new ImageException("the image's " + path + " is over " + maxBytes + " bytes");
      }
      return Optional.of(new String(bytes, StandardCharsets.UTF_8));
    }
  }

  /** Where {@code path} leads in {@code root}, every link followed inside it. */
  static Optional<Path> resolve(Path root, String path) throws IOException {
    Deque<String> todo = new ArrayDeque<>(parts(path));
    List<String> at = new ArrayList<>();
    int links = 0;
    while (!todo.isEmpty()) {
      String part = todo.removeFirst();
      if (part.equals(".")) {
        continue;
      }
      if (part.equals("..")) {
        if (at.isEmpty()) {
          return Optional.empty();
        }
        at.remove(at.size() - 1);
        continue;
      }
      Path here = join(root, at).resolve(part);
      if (Files.isSymbolicLink(here)) {
        if (++links > MAX_LINKS) {
          return Optional.empty();
        }
        String target = Files.readSymbolicLink(here).toString();
        if (target.startsWith("/")) {
          at.clear();
        }
        List<String> more = parts(target);
        for (int i = more.size() - 1; i >= 0; i--) {
          todo.addFirst(more.get(i));
        }
        continue;
      }
      if (!todo.isEmpty() && !Files.isDirectory(here, LinkOption.NOFOLLOW_LINKS)) {
        return Optional.empty();
      }
      at.add(part);
    }
    Path file = join(root, at);
    return Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)
        ? Optional.of(file)
        : Optional.empty();
  }

  private static List<String> parts(String path) {
    List<String> out = new ArrayList<>();
    for (String p : path.split("/")) {
      if (!p.isEmpty()) {
        out.add(p);
      }
    }
    return out;
  }

  private static Path join(Path root, List<String> parts) {
    Path p = root;
    for (String part : parts) {
      p = p.resolve(part);
    }
    return p;
  }
}
