package dev.thaw.image;

import dev.thaw.core.io.Recipe;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * The project's own function images ({@code images/} in the source tree, packaged into this jar): a
 * Python HTTP function and a static busybox one, as OCI image layout directories built from Debian
 * packages by {@code images/build.sh}, without a container engine; built once per distinct recipe
 * (see {@link Recipe}). The runtimes' images (Node.js, Java) are {@link RuntimeImages}.
 *
 * @param dir the directory holding one OCI image layout per image ({@code python}, {@code static},
 *     {@code contract})
 */
public record ExampleImages(Path dir) {
  private static final Recipe RECIPE =
      new Recipe(
          ExampleImages.class,
          "/dev/thaw/image/examples/",
          List.of("build.sh", "python/server.py", "contract/contract.py"),
          "the example function images",
          List.of("examples"));

  /** The Python function's OCI layout: GET answers a greeting, POST echoes, /files keeps state. */
  public Path python() {
    return dir.resolve("python");
  }

  /**
   * The contract function's OCI layout: GET / reports as JSON what it was started with (see {@code
   * docs/function-contract.md}); it runs as the named user {@code fn} in {@code /srv/work} and its
   * label names a {@code beforeSnapshot} hook.
   */
  public Path contract() {
    return dir.resolve("contract");
  }

  /** The static busybox httpd function's OCI layout. */
  public Path busybox() {
    return dir.resolve("static");
  }

  /** The default cache root: {@code $THAW_CACHE_DIR/images}, else {@code ~/.cache/thaw/images}. */
  public static Path defaultCacheRoot() {
    return Recipe.cacheRoot("images");
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
      return new ExampleImages(RECIPE.ensure(cacheRoot, progress, pb -> pb));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot build the example images: " + e.getMessage(), e);
    }
  }
}
