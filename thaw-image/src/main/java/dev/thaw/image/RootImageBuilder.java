package dev.thaw.image;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Turns an image into a {@link RootImage}, once per image digest and format: resolves it, refuses
 * one with nothing to run, fetches its layers (each checked against its digest as it streams),
 * applies them in order into a scratch tree ({@link LayerApplier}), writes the tree into a
 * filesystem image ({@link FilesystemFormat}) and keeps it in the {@link RootImageCache}. The
 * config's {@code User} is resolved against the tree's own /etc/passwd and /etc/group ({@link
 * ImageUsers}) and kept with the config; an image whose user they lack is refused. A failed build
 * leaves nothing behind but the cache's scratch directory, cleared at once.
 */
public final class RootImageBuilder {
  private final RootImageCache cache;
  private final LayerLimits limits;
  private final FilesystemFormat format;
  private final boolean requireCommand;
  private final boolean setOwners;
  private final LongSupplier nanoTime;

  private RootImageBuilder(Builder b) {
    this.cache = b.cache;
    this.limits = b.limits;
    this.format = b.format;
    this.requireCommand = b.requireCommand;
    this.setOwners = b.setOwners;
    this.nanoTime = b.nanoTime;
  }

  public static Builder builder(RootImageCache cache) {
    return new Builder(cache);
  }

  /** The cache this builder keeps root images in. */
  public RootImageCache cache() {
    return cache;
  }

  /** The filesystem this builder writes root images in. */
  public FilesystemFormat format() {
    return format;
  }

  /**
   * What a build did.
   *
   * @param image the root image
   * @param built false when the cache already had it
   * @param layers how many layers were applied (0 when cached)
   * @param notes what was skipped and why
   * @param took how long the call took
   * @param filesystemTook of which writing the filesystem image (zero when cached)
   */
  public record Result(
      RootImage image,
      boolean built,
      int layers,
      List<String> notes,
      Duration took,
      Duration filesystemTook) {
    public Result {
      notes = List.copyOf(notes);
    }
  }

  /**
   * Builds (or finds) the root image of the image {@code source} names.
   *
   * @throws NotAnImageException when it is no image Thaw can run
   * @throws MissingCommandException when it has neither entrypoint nor cmd
   * @throws UnknownUserException when its user or group is not in its /etc/passwd or /etc/group
   * @throws DigestMismatchException when a manifest or blob does not match its digest
   * @throws UnsafeLayerEntryException for a layer entry refused
   * @throws LayerTooLargeException for a layer or image over the limits
   * @throws RegistryException when the registry refuses or fails
   */
  public Result build(ImageSource source) throws IOException {
    long start = nanoTime.getAsLong();
    java.util.Optional<RootImage> pinned =
        source.pinnedDigest().isPresent()
            ? cache.get(source.pinnedDigest().get(), format)
            : java.util.Optional.empty();
    if (pinned.isPresent()) {
      if (requireCommand && pinned.get().config().command().isEmpty()) {
        throw new MissingCommandException(source.describe());
      }
      return new Result(
          pinned.get(),
          false,
          0,
          List.of(),
          Duration.ofNanos(nanoTime.getAsLong() - start),
          Duration.ZERO);
    }
    return build(source, source.resolve(), start);
  }

  /**
   * Builds (or finds) the root image of {@code image}, which the caller already resolved from
   * {@code source} (so its manifest is not fetched again); throws as {@link #build(ImageSource)}.
   */
  public Result build(ImageSource source, ResolvedImage image) throws IOException {
    return build(source, image, nanoTime.getAsLong());
  }

  private Result build(ImageSource source, ResolvedImage image, long start) throws IOException {
    if (requireCommand && image.config().command().isEmpty()) {
      throw new MissingCommandException(source.describe());
    }
    for (Descriptor layer : image.layers()) {
      if (layer.size() > limits.maxLayerBytes()) {
        throw new LayerTooLargeException(
            "layer "
                + layer.digest()
                + " of "
                + source.describe()
                + " is "
                + layer.size()
                + " bytes, over the limit of "
                + limits.maxLayerBytes());
      }
    }
    List<String> notes = new ArrayList<>();
    long[] mkfsNanos = new long[1];
    RootImageCache.Lookup lookup =
        cache.getOrBuild(
            image.digest(), format, work -> writeInto(work, source, image, notes, mkfsNanos));
    return new Result(
        lookup.image(),
        lookup.built(),
        lookup.built() ? image.layers().size() : 0,
        notes,
        Duration.ofNanos(nanoTime.getAsLong() - start),
        Duration.ofNanos(mkfsNanos[0]));
  }

  private ImageConfig writeInto(
      Path work, ImageSource source, ResolvedImage image, List<String> notes, long[] mkfsNanos)
      throws IOException {
    Path tree = Files.createDirectory(work.resolve("tree"));
    LayerApplier applier = new LayerApplier(tree, limits, setOwners);
    for (Descriptor layer : image.layers()) {
      try (InputStream raw = source.openBlob(layer);
          VerifyingInputStream in =
              new VerifyingInputStream(
                  raw, layer, "layer " + layer.digest() + " of " + source.describe())) {
        try {
          applier.apply(layer.digest(), in);
        } catch (ImageException e) {
          throw e;
        } catch (IOException e) {
          // A layer that does not decompress or parse: if its bytes are not the ones named,
          // that is the reason to give; otherwise the image itself is broken.
          try {
            in.verifyToEnd();
          } catch (DigestMismatchException mismatch) {
            throw mismatch;
          } catch (IOException again) {
            e.addSuppressed(again);
          }
          throw new NotAnImageException(
              "layer "
                  + layer.digest()
                  + " of "
                  + source.describe()
                  + " is not a readable tar: "
                  + e.getMessage(),
              e);
        }
        in.verifyToEnd();
      }
    }
    applier.finish();
    notes.addAll(applier.notes());
    ResolvedUser user = resolveUser(tree, source, image.config());
    if (!setOwners) {
      notes.add(
          "not run as root: the layers' owners are not kept (erofs and squashfs make every"
              + " file root's, ext4 the builder's)");
    }
    long mkfsStart = nanoTime.getAsLong();
    FilesystemWriter.write(format, tree, work.resolve("rootfs.img"), image.digest(), !setOwners);
    mkfsNanos[0] = nanoTime.getAsLong() - mkfsStart;
    dev.thaw.core.io.FileTrees.deleteRecursively(tree);
    return image.config().withResolvedUser(user);
  }

  /** Largest /etc/passwd or /etc/group read. */
  private static final int MAX_USER_FILE_BYTES = 4 << 20;

  private static ResolvedUser resolveUser(Path tree, ImageSource source, ImageConfig config)
      throws IOException {
    String passwd = TreeFiles.read(tree, "/etc/passwd", MAX_USER_FILE_BYTES).orElse("");
    String group = TreeFiles.read(tree, "/etc/group", MAX_USER_FILE_BYTES).orElse("");
    ImageUsers.Result result = ImageUsers.resolve(config.user(), passwd, group);
    if (result instanceof ImageUsers.Refusal refusal) {
      throw new UnknownUserException(source.describe(), refusal.message());
    }
    return ((ImageUsers.Resolved) result).user();
  }

  /** Whether this process may give files any owner (it runs as root). */
  public static boolean canSetOwners() {
    try {
      return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return false;
    }
  }

  /** Options with defaults; every setter checks its value. */
  public static final class Builder {
    private final RootImageCache cache;
    private LayerLimits limits = LayerLimits.DEFAULT;
    private FilesystemFormat format = FilesystemFormat.EROFS;
    private boolean requireCommand = true;
    private boolean setOwners = canSetOwners();
    private LongSupplier nanoTime = System::nanoTime;

    private Builder(RootImageCache cache) {
      this.cache = Objects.requireNonNull(cache, "cache");
    }

    public Builder limits(LayerLimits limits) {
      this.limits = Objects.requireNonNull(limits, "limits");
      return this;
    }

    public Builder format(FilesystemFormat format) {
      this.format = Objects.requireNonNull(format, "format");
      return this;
    }

    /**
     * Whether an image without entrypoint and cmd is refused (default); a function that gives its
     * own command turns this off.
     */
    public Builder requireCommand(boolean require) {
      this.requireCommand = require;
      return this;
    }

    /** Whether to keep the layers' owners (default: when running as root, which it needs). */
    public Builder setOwners(boolean setOwners) {
      if (setOwners && !canSetOwners()) {
        throw new IllegalArgumentException("keeping the layers' owners needs root");
      }
      this.setOwners = setOwners;
      return this;
    }

    public Builder nanoTime(LongSupplier nanoTime) {
      this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
      return this;
    }

    public RootImageBuilder build() {
      return new RootImageBuilder(this);
    }
  }
}
