package dev.thaw.cli;

import dev.thaw.core.config.ByteSize;
import dev.thaw.core.io.FileTrees;
import dev.thaw.core.stats.LatencySummary;
import dev.thaw.image.FilesystemFormat;
import dev.thaw.image.ImageException;
import dev.thaw.image.ImageSource;
import dev.thaw.image.ImageSources;
import dev.thaw.image.RootImage;
import dev.thaw.image.RootImageBuilder;
import dev.thaw.image.RootImageCache;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code thaw bench images}: one image's root filesystem in each format, side by side. */
@Command(
    name = "images",
    mixinStandardHelpOptions = true,
    description = {
      "Build one image's root filesystem in each format, side by side, and compare.",
      "Each round builds every format from a fresh cache (layers applied, filesystem written),",
      "formats taking turns so that the machine's load falls on all alike. Prints medians of",
      "the whole build and of writing the filesystem alone, the file size, the bytes that are",
      "not zero (what chunked storage keeps, zero chunks elided) and ratios to the first format."
    })
final class BenchImagesCommand implements Callable<Integer> {
  @Option(
      names = "--image",
      required = true,
      description = "The image: OCI layout directory, tarball or registry reference.")
  String image;

  @Option(
      names = "--rounds",
      defaultValue = "5",
      description = "Builds of each format (default: ${DEFAULT-VALUE}).")
  int rounds;

  @Option(
      names = "--formats",
      defaultValue = "erofs,ext4,squashfs",
      split = ",",
      description =
          "Formats to compare, the first is the base of the ratios (default: ${DEFAULT-VALUE}).")
  List<String> formats;

  @Option(
      names = "--work-dir",
      description = "Where the scratch caches go (default: a temporary directory).")
  Path workDir;

  @Override
  public Integer call() throws Exception {
    List<FilesystemFormat> fs = new ArrayList<>();
    try {
      if (rounds < 1) {
        throw new IllegalArgumentException("--rounds must be at least 1, not " + rounds);
      }
      for (String f : formats) {
        fs.add(FilesystemFormat.parse(f.strip()));
      }
    } catch (IllegalArgumentException e) {
      System.err.println("refused: " + e.getMessage());
      return 2;
    }
    Path work =
        workDir != null
            ? Files.createDirectories(workDir)
            : Files.createTempDirectory("thaw-bench-images");
    Map<FilesystemFormat, List<Double>> millis = new LinkedHashMap<>();
    Map<FilesystemFormat, List<Double>> mkfsMillis = new LinkedHashMap<>();
    Map<FilesystemFormat, long[]> sizes = new LinkedHashMap<>();
    ImageSources.Registries registries = ImageSources.Registries.fromEnvironment(System.getenv());
    try {
      for (int round = 1; round <= rounds; round++) {
        for (FilesystemFormat f : fs) {
          Path cacheDir = work.resolve("round-" + round + "-" + f.mountType());
          RootImageBuilder builder =
              RootImageBuilder.builder(RootImageCache.open(cacheDir, Long.MAX_VALUE, Instant::now))
                  .format(f)
                  .build();
          RootImageBuilder.Result r;
          try (ImageSource source = ImageSources.open(image, registries)) {
            r = builder.build(source);
          }
          millis.computeIfAbsent(f, k -> new ArrayList<>()).add(r.took().toNanos() / 1e6);
          mkfsMillis
              .computeIfAbsent(f, k -> new ArrayList<>())
              .add(r.filesystemTook().toNanos() / 1e6);
          sizes.put(f, new long[] {r.image().sizeBytes(), nonZeroBytes(r.image())});
          FileTrees.deleteRecursively(cacheDir);
        }
      }
    } catch (ImageException e) {
      System.err.println("refused: " + e.getMessage());
      return 2;
    } finally {
      if (workDir == null) {
        FileTrees.deleteQuietly(work);
      }
    }
    print(fs, millis, mkfsMillis, sizes);
    return 0;
  }

  private void print(
      List<FilesystemFormat> fs,
      Map<FilesystemFormat, List<Double>> millis,
      Map<FilesystemFormat, List<Double>> mkfsMillis,
      Map<FilesystemFormat, long[]> sizes) {
    System.out.printf(Locale.ROOT, "thaw bench images: %s, %d rounds%n", image, rounds);
    System.out.printf(
        Locale.ROOT,
        "%-9s %10s %10s %11s %11s %8s %8s%n",
        "FORMAT",
        "BUILD ms",
        "MKFS ms",
        "FILE",
        "NON-ZERO",
        "MKFS x",
        "SIZE x");
    LatencySummary base = LatencySummary.of(mkfsMillis.get(fs.get(0)));
    long baseSize = sizes.get(fs.get(0))[1];
    for (FilesystemFormat f : fs) {
      LatencySummary s = LatencySummary.of(millis.get(f));
      LatencySummary m = LatencySummary.of(mkfsMillis.get(f));
      long[] size = sizes.get(f);
      System.out.printf(
          Locale.ROOT,
          "%-9s %10.0f %10.0f %11s %11s %8.2f %8.2f%n",
          f.mountType(),
          s.p50(),
          m.p50(),
          ByteSize.format(size[0]),
          ByteSize.format(size[1]),
          m.p50() / base.p50(),
          (double) size[1] / baseSize);
    }
  }

  /** Bytes in 4 KiB blocks that are not all zero. */
  private static long nonZeroBytes(RootImage image) throws IOException {
    byte[] block = new byte[4096];
    long nonZero = 0;
    try (InputStream in = Files.newInputStream(image.file())) {
      for (int n; (n = in.readNBytes(block, 0, block.length)) > 0; ) {
        for (int i = 0; i < n; i++) {
          if (block[i] != 0) {
            nonZero += n;
            break;
          }
        }
      }
    }
    return nonZero;
  }
}
