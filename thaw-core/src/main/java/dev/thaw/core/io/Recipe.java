package dev.thaw.core.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * A build recipe that travels inside a jar: a {@code build.sh OUTDIR [ARG...]} and the files it
 * reads, packaged as classpath resources. It is built once per distinct content: the output
 * directory is named by the SHA-256 of the recipe's files (names and bytes) and arguments under a
 * cache root, built in a temporary directory beside it and renamed into place whole, so a directory
 * that exists is complete. Concurrent builders (two test JVMs, two agents) serialize on a lock file
 * in the root.
 *
 * @param anchor the class whose loader holds the resources
 * @param resourceRoot the resources' folder, with leading and trailing {@code /}
 * @param files the recipe's files relative to it; {@code build.sh} among them
 * @param what what the recipe makes, for progress lines and errors ("the guest image")
 * @param args what {@code build.sh} is given after its output directory
 */
public record Recipe(
    Class<?> anchor, String resourceRoot, List<String> files, String what, List<String> args) {
  public Recipe {
    Objects.requireNonNull(anchor, "anchor");
    Objects.requireNonNull(resourceRoot, "resourceRoot");
    files = List.copyOf(files);
    args = List.copyOf(args);
    if (!files.contains("build.sh")) {
      throw new IllegalArgumentException("a recipe has a build.sh: " + files);
    }
  }

  /** A recipe whose {@code build.sh} takes its output directory only. */
  public Recipe(Class<?> anchor, String resourceRoot, List<String> files, String what) {
    this(anchor, resourceRoot, files, what, List.of());
  }

  /** {@code $THAW_CACHE_DIR/NAME}, else {@code ~/.cache/thaw/NAME}. */
  public static Path cacheRoot(String name) {
    String explicit = System.getenv("THAW_CACHE_DIR");
    Path base =
        explicit != null && !explicit.isBlank()
            ? Path.of(explicit)
            : Path.of(System.getProperty("user.home"), ".cache", "thaw");
    return base.resolve(name);
  }

  /** SHA-256 (hex) of the recipe's file names and contents, and of its arguments if any. */
  public String digest() throws IOException {
    MessageDigest sha = Digests.newSha256();
    for (String name : files) {
      sha.update(name.getBytes(StandardCharsets.UTF_8));
      try (InputStream in = open(name)) {
        sha.update(in.readAllBytes());
      }
    }
    for (String arg : args) {
      sha.update((byte) 0);
      sha.update(arg.getBytes(StandardCharsets.UTF_8));
    }
    return Digests.hex(sha);
  }

  /**
   * The output directory of this recipe under {@code cacheRoot}, built first if needed: {@code
   * build.sh} runs with the process builder {@code environment} prepares, and every line it prints
   * goes to {@code progress}.
   */
  public Path ensure(
      Path cacheRoot, Consumer<String> progress, UnaryOperator<ProcessBuilder> environment)
      throws IOException {
    Path dir = cacheRoot.resolve(digest().substring(0, 16));
    Files.createDirectories(cacheRoot);
    try (FileChannel lockFile =
            FileChannel.open(
                cacheRoot.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock ignored = lockFile.lock()) {
      if (!Files.isDirectory(dir)) {
        build(dir, progress, environment);
      }
    }
    return dir;
  }

  private void build(Path dir, Consumer<String> progress, UnaryOperator<ProcessBuilder> environment)
      throws IOException {
    Path work = Files.createTempDirectory(dir.getParent(), ".build-");
    try {
      Path recipe = Files.createDirectories(work.resolve("recipe"));
      for (String name : files) {
        Path target = recipe.resolve(name);
        Files.createDirectories(target.getParent());
        try (InputStream in = open(name)) {
          Files.copy(in, target);
        }
      }
      Path out = work.resolve("out");
      progress.accept("building " + what + " (from Debian packages)");
      Process p =
          environment
              .apply(new ProcessBuilder(command(recipe.resolve("build.sh"), out)))
              .redirectErrorStream(true)
              .start();
      try (var lines = p.inputReader().lines()) {
        lines.forEach(line -> progress.accept("build: " + line));
      }
      int status = p.waitFor();
      if (status != 0) {
        throw new IOException("the build of " + what + " exited with status " + status);
      }
      Files.move(out, dir, StandardCopyOption.ATOMIC_MOVE);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while building " + what, e);
    } finally {
      FileTrees.deleteQuietly(work);
    }
  }

  private List<String> command(Path script, Path out) {
    List<String> command = new ArrayList<>(List.of("bash", script.toString(), out.toString()));
    command.addAll(args);
    return command;
  }

  private InputStream open(String name) throws IOException {
    InputStream in = anchor.getResourceAsStream(resourceRoot + name);
    if (in == null) {
      throw new IOException("the recipe of " + what + " lacks " + name + " on the classpath");
    }
    return in;
  }
}
