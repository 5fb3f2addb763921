package dev.thaw.image;

import dev.thaw.core.io.FileTrees;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;

/**
 * The project's own function images ({@code images/} in the source tree, packaged into this jar): a
 * Python HTTP function and a static busybox one, as OCI image layout directories built from Debian
 * packages by {@code images/build.sh}, without a container engine. Built once per distinct recipe
 * into a directory named by its SHA-256; concurrent builders serialize on a file lock, and a build
 * only counts once its directory was renamed into place whole.
 *
 * @param dir the directory holding one OCI image layout per image ({@code python}, {@code static})
 */
public record ExampleImages(Path dir) {
  private static final String RECIPE_ROOT = "/dev/thaw/image/examples/";
  private static final List<String> RECIPE = List.of("build.sh", "python/server.py");

  /** The Python function's OCI layout: GET answers a greeting, POST echoes, /files keeps state. */
  public Path python() {
    return dir.resolve("python");
  }

  /** The static busybox httpd function's OCI layout. */
  public Path busybox() {
    return dir.resolve("static");
  }

  /** The default cache root: {@code $THAW_CACHE_DIR/images}, else {@code ~/.cache/thaw/images}. */
  public static Path defaultCacheRoot() {
    String explicit = System.getenv("THAW_CACHE_DIR");
    Path base =
        explicit != null && !explicit.isBlank()
            ? Path.of(explicit)
            : Path.of(System.getProperty("user.home"), ".cache", "thaw");
    return base.resolve("images");
  }

  /**
   * The images of the packaged recipe, built first if needed; {@code progress} hears of a build.
   */
  public static ExampleImages ensure(Consumer<String> progress) {
    return ensure(defaultCacheRoot(), progress);
  }

  /** The images of the packaged recipe under {@code cacheRoot}, built first if needed. */
  public static ExampleImages ensure(Path cacheRoot, Consumer<String> progress) {
    try {
      Path dir = cacheRoot.resolve(recipeDigest().substring(0, 16));
      Files.createDirectories(cacheRoot);
      try (FileChannel lockFile =
              FileChannel.open(
                  cacheRoot.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
          FileLock ignored = lockFile.lock()) {
        if (!Files.isDirectory(dir)) {
          build(dir, progress);
        }
      }
      return new ExampleImages(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot build the example images: " + e.getMessage(), e);
    }
  }

  private static void build(Path dir, Consumer<String> progress) throws IOException {
    Path work = Files.createTempDirectory(dir.getParent(), ".build-");
    try {
      Path recipe = Files.createDirectories(work.resolve("recipe"));
      for (String name : RECIPE) {
        Path target = recipe.resolve(name);
        Files.createDirectories(target.getParent());
        try (InputStream in = open(name)) {
          Files.copy(in, target);
        }
      }
      Path out = work.resolve("out");
      progress.accept("building the example function images (from Debian packages)");
      Process p =
          new ProcessBuilder("bash", recipe.resolve("build.sh").toString(), out.toString())
              .redirectErrorStream(true)
              .start();
      try (var lines = p.inputReader().lines()) {
        lines.forEach(line -> progress.accept("images build: " + line));
      }
      int status = p.waitFor();
      if (status != 0) {
        throw new IOException("images/build.sh exited with status " + status);
      }
      Files.move(out, dir, StandardCopyOption.ATOMIC_MOVE);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while building the example images", e);
    } finally {
      FileTrees.deleteQuietly(work);
    }
  }

  static String recipeDigest() throws IOException {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    for (String name : RECIPE) {
      sha.update(name.getBytes(StandardCharsets.UTF_8));
      try (InputStream in = open(name)) {
        sha.update(in.readAllBytes());
      }
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  private static InputStream open(String name) throws IOException {
    InputStream in = ExampleImages.class.getResourceAsStream(RECIPE_ROOT + name);
    if (in == null) {
      throw new IOException("the example images' recipe lacks " + name);
    }
    return in;
  }
}
