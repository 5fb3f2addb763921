package dev.thaw.qemu;

import dev.thaw.core.io.Digests;
import dev.thaw.core.io.FileTrees;
import dev.thaw.core.snapshot.SnapshotManifest;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The guest kernel and initramfs every Thaw microVM boots.
 *
 * <p>The recipe ({@code guest/} in the source tree, packaged into this jar) is built once per
 * distinct recipe: the cache directory is named by the SHA-256 of the recipe files, and an image
 * only counts as built once {@code kernel.txt}, written last, is there. Concurrent builders (two
 * test JVMs, two agents) serialize on a file lock. The build runs with only the environment it uses
 * ({@link ChildEnvironment#forGuestBuild}).
 *
 * @param kernel the kernel image ({@code vmlinuz})
 * @param initrd the initramfs ({@code initramfs.img})
 * @param digest the recipe digest that names this image
 * @param tscKhz the host's TSC rate in kHz, handed to the guest kernel; 0 if unknown
 */
public record GuestImage(Path kernel, Path initrd, String digest, long tscKhz) {
  private static final String RECIPE_ROOT = "/dev/thaw/qemu/guest/";
  private static final List<String> RECIPE =
      List.of("build.sh", "init", "thaw-guest.c", "modules.txt", "modules-image.txt", "tsc-khz.c");

  public GuestImage {
    Objects.requireNonNull(kernel, "kernel");
    Objects.requireNonNull(initrd, "initrd");
    Objects.requireNonNull(digest, "digest");
  }

  /** SHA-256 of the kernel and the initramfs, as snapshot manifests record them. */
  public SnapshotManifest.Guest digests() {
    try {
      return new SnapshotManifest.Guest(Digests.sha256(kernel), Digests.sha256(initrd));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the guest image", e);
    }
  }

  /** The default cache root: {@code $THAW_CACHE_DIR/guest}, else {@code ~/.cache/thaw/guest}. */
  public static Path defaultCacheRoot() {
    String explicit = System.getenv("THAW_CACHE_DIR");
    Path base =
        explicit != null && !explicit.isBlank()
            ? Path.of(explicit)
            : Path.of(System.getProperty("user.home"), ".cache", "thaw");
    return base.resolve("guest");
  }

  /**
   * Returns the image for the packaged recipe from the default cache ({@link #defaultCacheRoot}),
   * building it first if needed; {@code progress} hears of a build.
   */
  public static GuestImage ensure(Consumer<String> progress) {
    return ensure(defaultCacheRoot(), progress);
  }

  /** Returns the cached image for the packaged recipe, building it first if needed. */
  public static GuestImage ensure(Path cacheRoot, Consumer<String> progress) {
    try {
      String digest = recipeDigest();
      Path dir = cacheRoot.resolve(digest.substring(0, 16));
      Files.createDirectories(cacheRoot);
      try (FileChannel lockFile =
              FileChannel.open(
                  cacheRoot.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
          FileLock ignored = lockFile.lock()) {
        if (!Files.exists(dir.resolve("kernel.txt"))) {
          build(dir, progress);
        }
      }
      return new GuestImage(
          dir.resolve("vmlinuz"), dir.resolve("initramfs.img"), digest, readTscKhz(dir));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot build the guest image: " + e.getMessage(), e);
    }
  }

  private static long readTscKhz(Path dir) {
    try {
      return Long.parseLong(Files.readString(dir.resolve("tsc-khz")).strip());
    } catch (IOException | NumberFormatException e) {
      return 0;
    }
  }

  private static void build(Path dir, Consumer<String> progress) throws IOException {
    Path work = Files.createTempDirectory(dir.getParent(), ".build-");
    try {
      Path recipe = Files.createDirectories(work.resolve("recipe"));
      for (String name : RECIPE) {
        try (InputStream in = open(name)) {
          Files.copy(in, recipe.resolve(name));
        }
      }
      Path out = work.resolve("out");
      progress.accept("building the guest image (kernel and initramfs from Debian packages)");
      Process p =
          ChildEnvironment.apply(
                  new ProcessBuilder("bash", recipe.resolve("build.sh").toString(), out.toString()),
                  ChildEnvironment.forGuestBuild(System.getenv()))
              .redirectErrorStream(true)
              .start();
      try (var lines = p.inputReader().lines()) {
        lines.forEach(line -> progress.accept("guest build: " + line));
      }
      int status = p.waitFor();
      if (status != 0) {
        throw new IOException("guest/build.sh exited with status " + status);
      }
      Files.move(out, dir, StandardCopyOption.ATOMIC_MOVE);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while building the guest image", e);
    } finally {
      FileTrees.deleteQuietly(work);
    }
  }

  static String recipeDigest() throws IOException {
    MessageDigest sha = Digests.newSha256();
    for (String name : RECIPE) {
      sha.update(name.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      try (InputStream in = open(name)) {
        sha.update(in.readAllBytes());
      }
    }
    return Digests.hex(sha);
  }

  private static InputStream open(String name) throws IOException {
    InputStream in = GuestImage.class.getResourceAsStream(RECIPE_ROOT + name);
    if (in == null) {
      throw new IOException("guest recipe file missing from the classpath: " + name);
    }
    return in;
  }
}
