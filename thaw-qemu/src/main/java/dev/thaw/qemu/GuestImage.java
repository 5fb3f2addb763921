package dev.thaw.qemu;

import dev.thaw.core.io.Digests;
import dev.thaw.core.io.Recipe;
import dev.thaw.core.snapshot.SnapshotManifest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The guest kernel and initramfs every Thaw microVM boots.
 *
 * <p>The recipe ({@code guest/} in the source tree, packaged into this jar) is built once per
 * distinct recipe (see {@link Recipe}), with only the environment the build uses ({@link
 * ChildEnvironment#forGuestBuild}).
 *
 * @param kernel the kernel image ({@code vmlinuz})
 * @param initrd the initramfs ({@code initramfs.img})
 * @param digest the recipe digest that names this image
 * @param tscKhz the host's TSC rate in kHz, handed to the guest kernel; 0 if unknown
 * @param restorePreload a library QEMU preloads for a restore from a served memory file ({@code
 *     no-thp.c}: it keeps each page fault from reading megabytes around the page); empty if the
 *     image has none
 */
public record GuestImage(
    Path kernel, Path initrd, String digest, long tscKhz, Optional<Path> restorePreload) {
  private static final Recipe RECIPE =
      new Recipe(
          GuestImage.class,
          "/dev/thaw/qemu/guest/",
          List.of(
              "build.sh",
              "init",
              "thaw-guest.c",
              "modules.txt",
              "modules-image.txt",
              "tsc-khz.c",
              "no-thp.c"),
          "the guest image (kernel and initramfs)");

  public GuestImage {
    Objects.requireNonNull(kernel, "kernel");
    Objects.requireNonNull(initrd, "initrd");
    Objects.requireNonNull(digest, "digest");
    Objects.requireNonNull(restorePreload, "restorePreload");
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
    return Recipe.cacheRoot("guest");
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
      Path dir =
          RECIPE.ensure(
              cacheRoot,
              progress,
              pb -> ChildEnvironment.apply(pb, ChildEnvironment.forGuestBuild(System.getenv())));
      Path preload = dir.resolve("no-thp.so");
      return new GuestImage(
          dir.resolve("vmlinuz"),
          dir.resolve("initramfs.img"),
          RECIPE.digest(),
          readTscKhz(dir),
          Files.isRegularFile(preload) ? Optional.of(preload) : Optional.empty());
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

  static String recipeDigest() throws IOException {
    return RECIPE.digest();
  }
}
