package dev.thaw.cli;

import dev.thaw.core.config.ByteSize;
import dev.thaw.image.FilesystemFormat;
import dev.thaw.image.ImageConfig;
import dev.thaw.image.ImageException;
import dev.thaw.image.ImageSource;
import dev.thaw.image.ImageSources;
import dev.thaw.image.LayerLimits;
import dev.thaw.image.RegistryCredentials;
import dev.thaw.image.RootImage;
import dev.thaw.image.RootImageBuilder;
import dev.thaw.image.RootImageCache;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code thaw image build}: an OCI image into a root filesystem image for microVMs. */
@Command(
    name = "image",
    mixinStandardHelpOptions = true,
    description = "Turn OCI images into root filesystem images for microVMs.",
    subcommands = {ImageCommand.Build.class})
final class ImageCommand {
  @Command(
      name = "build",
      mixinStandardHelpOptions = true,
      description = {
        "Build the root filesystem image of an OCI image, once per image digest.",
        "Prints its digest, file, size, config, the guest modules its format needs and the time",
        "taken.",
        "REF is an OCI image layout directory (DIR or DIR:NAME), an image tarball (docker save",
        "or OCI archive; FILE or FILE:NAME) or a registry reference (python:3.12,",
        "localhost:5000/fn:v1, name@sha256:...). Registry credentials: --username with",
        "--password-stdin, else $THAW_REGISTRY_USERNAME and $THAW_REGISTRY_PASSWORD, else the",
        "auths of $DOCKER_CONFIG/config.json or ~/.docker/config.json."
      })
  static final class Build implements Callable<Integer> {
    @Parameters(paramLabel = "REF", description = "The image.")
    String reference;

    @Option(
        names = "--out",
        description =
            "Image cache directory (default: $THAW_DATA_DIR/images, else"
                + " ~/.local/share/thaw/images).")
    Path out;

    @Option(
        names = "--format",
        defaultValue = "erofs",
        description = "erofs, ext4 or squashfs (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(
        names = "--max-layer-size",
        defaultValue = "2GiB",
        description = "Refuse a layer larger than this (default: ${DEFAULT-VALUE}).")
    String maxLayerSize;

    @Option(
        names = "--max-image-size",
        defaultValue = "4GiB",
        description = "Refuse an image unpacking to more (default: ${DEFAULT-VALUE}).")
    String maxImageSize;

    @Option(
        names = "--cache-capacity",
        defaultValue = "20GiB",
        description = "Bound of the image cache (default: ${DEFAULT-VALUE}).")
    String cacheCapacity;

    @Option(names = "--username", description = "Registry user name.")
    String username;

    @Option(
        names = "--password-stdin",
        description = "Read the registry password from the first line of standard input.")
    boolean passwordStdin;

    @Option(
        names = "--insecure-registry",
        paramLabel = "HOST:PORT",
        description =
            "Fall back to plain HTTP when TLS with this registry fails (loopback ones always do).")
    List<String> insecure = new ArrayList<>();

    @Option(
        names = "--registry-ca",
        paramLabel = "PEM",
        description = "Also trust the certificate authorities in this PEM file (a private CA).")
    Path registryCa;

    @Option(
        names = "--no-command",
        description = "Accept an image without entrypoint and cmd (the function gives one).")
    boolean noCommand;

    @Override
    public Integer call() throws Exception {
      PrintStream out = System.out;
      try {
        RootImageBuilder builder = builder();
        ImageSources.Registries registries = registries();
        RootImageBuilder.Result r;
        try (ImageSource source = ImageSources.open(reference, registries)) {
          out.println("thaw image build: " + source.describe());
          r = builder.build(source);
        }
        print(out, r);
        return 0;
      } catch (ImageException | IllegalArgumentException e) {
        System.err.println("refused: " + e.getMessage());
        return 2;
      } catch (java.io.IOException e) {
        // Not the image's fault (a tool missing or failing, a full disk, a dropped connection).
        System.err.println("failed: " + e.getMessage());
        return 1;
      }
    }

    private RootImageBuilder builder() throws java.io.IOException {
      FilesystemFormat f = FilesystemFormat.parse(format);
      LayerLimits limits =
          new LayerLimits(
              size("--max-layer-size", maxLayerSize), size("--max-image-size", maxImageSize));
      long capacity = size("--cache-capacity", cacheCapacity);
      RootImageCache cache = RootImageCache.open(outDir(), capacity, Instant::now);
      return RootImageBuilder.builder(cache)
          .format(f)
          .limits(limits)
          .requireCommand(!noCommand)
          .build();
    }

    private ImageSources.Registries registries() throws java.io.IOException {
      ImageSources.Registries r = ImageOptions.registries(insecure, registryCa);
      if (passwordStdin && username == null) {
        throw new IllegalArgumentException("--password-stdin needs --username");
      }
      if (username != null) {
        if (!passwordStdin) {
          throw new IllegalArgumentException(
              "--username needs --password-stdin (a password on the command line would show in"
                  + " the process list)");
        }
        String password =
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        if (password == null) {
          throw new IllegalArgumentException("--password-stdin: standard input is empty");
        }
        r = r.withCredentials(Optional.of(new RegistryCredentials(username, password)));
      }
      return r;
    }

    private Path outDir() {
      if (out != null) {
        return out;
      }
      String data = System.getenv("THAW_DATA_DIR");
      Path base =
          data != null && !data.isBlank()
              ? Path.of(data)
              : Path.of(System.getProperty("user.home"), ".local", "share", "thaw");
      return base.resolve("images");
    }

    private static long size(String option, String value) {
      try {
        long bytes = ByteSize.parse(value);
        if (bytes <= 0) {
          throw new IllegalArgumentException("must be positive");
        }
        return bytes;
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(option + " " + value + ": " + e.getMessage());
      }
    }

    private static void print(PrintStream out, RootImageBuilder.Result r) {
      RootImage image = r.image();
      ImageConfig c = image.config();
      out.println("  digest   " + image.imageDigest());
      out.println(
          "  file     "
              + image.file()
              + " ("
              + image.format().mountType()
              + ", "
              + ByteSize.format(image.sizeBytes())
              + ")");
      out.println(
          "  built    "
              + (r.built() ? "now, from " + r.layers() + " layer(s)" : "earlier (from the cache)"));
      out.println("  command  " + c.command());
      out.println("  env      " + c.env());
      out.println("  workdir  " + c.workingDir());
      out.println(
          "  user     "
              + (c.user().isEmpty() ? "root" : c.user())
              + (c.resolvedUser() == null
                  ? ""
                  : " (uid:gid "
                      + c.resolvedUser().uidGid()
                      + ", groups "
                      + c.resolvedUser().groups()
                      + ", home "
                      + c.resolvedUser().home()
                      + ")"));
      out.println("  ports    " + c.exposedPorts().stream().sorted().toList());
      out.println("  modules  " + String.join(" ", image.format().guestModules()));
      out.printf(Locale.ROOT, "  took     %.2f s%n", r.took().toNanos() / 1e9);
      for (String note : r.notes()) {
        out.println("  note: " + note);
      }
    }
  }
}
