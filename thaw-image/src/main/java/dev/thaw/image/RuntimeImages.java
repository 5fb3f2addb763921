package dev.thaw.image;

import dev.thaw.core.io.Recipe;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * The project's functions on the runtimes whose own start a snapshot saves most ({@code images/} in
 * the source tree, packaged into this jar): a Node.js function from Debian's nodejs packages and a
 * Java function built by Jib on a JRE base image made from Debian's openjdk-17-jre-headless, as OCI
 * image layout directories built by {@code images/build.sh OUTDIR runtimes}; built once per
 * distinct recipe (see {@link Recipe}), apart from {@link ExampleImages} so that what needs only
 * those never builds these.
 *
 * <p>Both answer GET / with a greeting ("hello from node", "hello from java"), echo POST bodies,
 * read an index built at start on {@code /lookup?word=W} and count this instance's calls on {@code
 * /count}; at start each loads its modules or classes, builds the index and warms its handler up.
 *
 * @param dir the directory holding {@code node} and {@code java}
 */
public record RuntimeImages(Path dir) {
  private static final Recipe RECIPE =
      new Recipe(
          RuntimeImages.class,
          "/dev/thaw/image/examples/",
          List.of(
              "build.sh",
              "node/server.js",
              "java/pom.xml",
              "java/src/main/java/dev/thaw/examples/HelloFunction.java"),
          "the Node.js and Java function images",
          List.of("runtimes"));

  /** The Node.js function's OCI layout (Debian's nodejs, about 110 MiB unpacked). */
  public Path node() {
    return dir.resolve("node");
  }

  /** The Java function's OCI layout, as Jib wrote it (about 190 MiB unpacked). */
  public Path java() {
    return dir.resolve("java");
  }

  /** The layout of {@code runtime}: {@code node} or {@code java}. */
  public Path of(String runtime) {
    return switch (runtime) {
      case "node" -> node();
      case "java" -> java();
      default -> throw new IllegalArgumentException("no runtime image " + runtime);
    };
  }

  /**
   * The images of the packaged recipe, built first if needed; {@code progress} hears of a build.
   */
  public static RuntimeImages ensure(Consumer<String> progress) {
    try {
      return new RuntimeImages(RECIPE.ensure(ExampleImages.defaultCacheRoot(), progress, pb -> pb));
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot build the Node.js and Java images: " + e.getMessage(), e);
    }
  }
}
