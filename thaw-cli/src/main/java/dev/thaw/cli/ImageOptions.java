package dev.thaw.cli;

import dev.thaw.core.config.ByteSize;
import dev.thaw.image.FilesystemFormat;
import dev.thaw.image.ImageSources;
import dev.thaw.image.RootImageBuilder;
import dev.thaw.image.RootImageCache;
import dev.thaw.node.agent.ImageFunctions;
import dev.thaw.node.remote.RemoteRootImages;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import picocli.CommandLine.Option;

/**
 * How a node runs functions from images: where it keeps their root images and how it reaches
 * registries. Every agent of one machine shares one image directory by default (the cache locks its
 * entries across processes), so a root image is built once per machine and a snapshot names the
 * same file on every node of it.
 */
final class ImageOptions {
  @Option(
      names = "--images-dir",
      defaultValue = "${env:THAW_IMAGES_DIR}",
      description =
          "Root images of functions from images (default: $THAW_IMAGES_DIR, else"
              + " <data-dir>/images). Give every node the same path: a snapshot names its file.")
  Path imagesDir;

  @Option(
      names = "--image-cache-capacity",
      defaultValue = "${env:THAW_IMAGE_CACHE_CAPACITY:-20GiB}",
      description = "Bound of the root image cache (default: ${DEFAULT-VALUE}).")
  String imageCacheCapacity;

  @Option(
      names = "--image-format",
      defaultValue = "erofs",
      description =
          "Filesystem of root images: erofs, ext4 or squashfs (default: ${DEFAULT-VALUE}).")
  String imageFormat;

  @Option(
      names = "--insecure-registry",
      paramLabel = "HOST:PORT",
      description =
          "Fall back to plain HTTP when TLS with this registry fails (loopback ones always do)."
              + " Credentials: $THAW_REGISTRY_USERNAME and $THAW_REGISTRY_PASSWORD, else the auths"
              + " of $DOCKER_CONFIG/config.json or ~/.docker/config.json.")
  List<String> insecure = new ArrayList<>();

  @Option(
      names = "--registry-ca",
      paramLabel = "PEM",
      description = "Also trust the certificate authorities in this PEM file (a private CA).")
  Path registryCa;

  /** The image directory of a node whose data directory is {@code dataDir}. */
  Path imagesDir(Path dataDir) {
    return imagesDir != null ? imagesDir : dataDir.resolve("images");
  }

  /**
   * How the node turns images into functions; with {@code remote}, root images are shared through
   * remote storage.
   *
   * @throws IllegalArgumentException for a bad option
   */
  ImageFunctions functions(Path dataDir, RemoteRootImages remote) throws IOException {
    long capacity = ByteSize.parse(imageCacheCapacity);
    if (capacity <= 0) {
      throw new IllegalArgumentException("--image-cache-capacity must be positive");
    }
    RootImageCache cache = RootImageCache.open(imagesDir(dataDir), capacity, Instant::now);
    RootImageBuilder builder =
        RootImageBuilder.builder(cache).format(FilesystemFormat.parse(imageFormat)).build();
    return new ImageFunctions(builder, registries(), remote);
  }

  ImageSources.Registries registries() {
    return registries(insecure, registryCa);
  }

  /**
   * Registries as the environment gives them ({@code $THAW_REGISTRY_*}, the Docker config), with
   * {@code insecure} ones reached over plain HTTP and the CAs of {@code registryCa} (may be null).
   */
  static ImageSources.Registries registries(List<String> insecure, Path registryCa) {
    ImageSources.Registries r = ImageSources.Registries.fromEnvironment(System.getenv());
    r =
        new ImageSources.Registries(
            r.credentials(), r.dockerConfig(), Set.copyOf(insecure), r.timeout());
    if (registryCa != null) {
      if (!Files.isRegularFile(registryCa)) {
        throw new IllegalArgumentException("--registry-ca " + registryCa + ": no such file");
      }
      r = r.withCaCertificates(Optional.of(registryCa));
    }
    return r;
  }
}
