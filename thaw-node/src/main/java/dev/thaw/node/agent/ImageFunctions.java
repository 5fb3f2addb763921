package dev.thaw.node.agent;

import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.function.Revision;
import dev.thaw.core.lazy.FileServer;
import dev.thaw.image.FilesystemFormat;
import dev.thaw.image.ImageException;
import dev.thaw.image.ImageSource;
import dev.thaw.image.ImageSources;
import dev.thaw.image.RegistryException;
import dev.thaw.image.ResolvedImage;
import dev.thaw.image.RootImage;
import dev.thaw.image.RootImageBuilder;
import dev.thaw.image.RootImageCache;
import dev.thaw.node.protocol.ImageDeployment;
import dev.thaw.node.protocol.Refused;
import dev.thaw.node.remote.RemoteRootImages;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns an {@link ImageDeployment} into the {@link FunctionSpec} a node runs: pulls the image
 * (registry, layout directory or tarball), builds its root filesystem image once per image digest
 * in the node's image cache ({@link RootImageBuilder}), and joins the image's config with the
 * deployment's overrides ({@link ImageOverrides}). The root image's path is where every node that
 * shares the cache layout keeps it, so a snapshot made on one node names a file the others have
 * once they deployed the same image.
 */
public final class ImageFunctions {
  private static final Logger log = LoggerFactory.getLogger(ImageFunctions.class);

  private final RootImageBuilder builder;
  private final ImageSources.Registries registries;
  private final RemoteRootImages remote;

  /** Whether a deploy leaves a root image in remote storage there until first used. */
  private volatile boolean deferFetches;

  /** The image reference each image digest was deployed from: a boot builds it if need be. */
  private final Map<String, String> sources = new ConcurrentHashMap<>();

  /** Root images built here from their sources only. */
  public ImageFunctions(RootImageBuilder builder, ImageSources.Registries registries) {
    this(builder, registries, null);
  }

  /**
   * Root images taken from {@code remote} when stored there, else built here and stored there.
   *
   * @param remote root images in the cluster's remote storage; null for none
   */
  public ImageFunctions(
      RootImageBuilder builder, ImageSources.Registries registries, RemoteRootImages remote) {
    this.builder = Objects.requireNonNull(builder, "builder");
    this.registries = Objects.requireNonNull(registries, "registries");
    this.remote = remote;
  }

  /**
   * The function {@code deployment} describes, as {@code revision}; its root image built or found.
   *
   * @throws Refused INVALID for an image that is refused (not an image, wrong digest, no command,
   *     unsafe or oversized layers) or settings that do not fit it; FAILED when the image cannot be
   *     fetched or built for reasons not its own (a registry down, a full disk)
   */
  public FunctionSpec resolve(Revision revision, ImageDeployment deployment) {
    try {
      deployment.egressRules(); // refused before any image is fetched
    } catch (IllegalArgumentException e) {
      throw new Refused(
          Refused.Kind.INVALID, "cannot run " + deployment.image() + ": " + e.getMessage(), e);
    }
    long t0 = System.nanoTime();
    RootImage image;
    String how;
    try (ImageSource source = ImageSources.open(deployment.image(), registries)) {
      if (remote == null) {
        RootImageBuilder.Result built = builder.build(source);
        image = built.image();
        how = built.built() ? "built" : "found";
      } else {
        Obtained o = obtain(source);
        image = o.image();
        how = o.how();
      }
    } catch (ImageException e) {
      Refused.Kind kind = refusalOf(e);
      throw new Refused(
          kind,
          (kind == Refused.Kind.INVALID
                  ? "image " + deployment.image() + " refused: "
                  : "cannot get image " + deployment.image() + ": ")
              + e.getMessage(),
          e);
    } catch (IllegalArgumentException e) {
      throw new Refused(
          Refused.Kind.INVALID, "image " + deployment.image() + " refused: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new Refused(
          Refused.Kind.FAILED, "cannot get image " + deployment.image() + ": " + e.getMessage(), e);
    }
    sources.put(image.imageDigest(), deployment.image());
    log.info(
        "{} runs {} ({}): root image {} {} in {} ms",
        revision,
        deployment.image(),
        image.imageDigest(),
        image.file(),
        how,
        (System.nanoTime() - t0) / 1_000_000);
    try {
      return FunctionSpec.ofImage(
              functionId(revision),
              deployment.memoryMibOrDefault(),
              deployment.vcpusOrDefault(),
              ImageOverrides.functionImage(image, deployment))
          .withEgress(deployment.egressRules())
          .withTimeoutSeconds(
              deployment.timeoutSeconds() == null ? 0 : deployment.timeoutSeconds());
    } catch (IllegalArgumentException e) {
      throw new Refused(
          Refused.Kind.INVALID, "cannot run " + deployment.image() + ": " + e.getMessage(), e);
    }
  }

  /**
   * {@code function} as this node runs it: a function from an image, from a snapshot made on any
   * node, names that node's root image file; this is the same image (digest and format, told by the
   * file's entry directory) in this node's cache, taken from remote storage first if this node
   * lacks it. A function this node cannot find a copy for is returned as it is (its restore then
   * fails on the missing file, and the cold start boots).
   */
  public FunctionSpec localize(FunctionSpec function) {
    if (!function.fromImage()) {
      return function;
    }
    Path made = function.image().rootfs();
    String digest = function.image().digest();
    String entry = made.getParent() == null ? "" : made.getParent().getFileName().toString();
    for (FilesystemFormat format : FilesystemFormat.values()) {
      if (!entry.equals(RootImageCache.entryName(digest, format))) {
        continue;
      }
      try {
        Optional<RootImage> local = builder.cache().get(digest, format);
        if (local.isEmpty() && remote != null) {
          Optional<RemoteRootImages.Stored> stored = remote.find(digest, format);
          if (stored.isPresent()) {
            local = Optional.of(fetch(stored.get()).image());
          }
        }
        if (local.isPresent()) {
          return function.withRootfs(local.get().file().toAbsolutePath());
        }
      } catch (IOException e) {
        log.warn("no local root image of {} for {}: {}", digest, function.id(), e.getMessage());
      }
    }
    return function;
  }

  /**
   * {@code function} with its root image here whole, as a boot needs it: from this node's cache,
   * else from remote storage ({@link #localize}), else pulled and built from the reference it was
   * deployed from (storage down, or its copy corrupt). Returned as it is when none of them can.
   */
  public FunctionSpec whole(FunctionSpec function) {
    FunctionSpec local = localize(function);
    if (!local.fromImage() || Files.isRegularFile(local.image().rootfs())) {
      return local;
    }
    String ref = sources.get(function.image().digest());
    if (ref == null) {
      return local;
    }
    try (ImageSource source = ImageSources.open(ref, registries)) {
      RootImage built = builder.build(source).image();
      if (built.imageDigest().equals(function.image().digest())) {
        return function.withRootfs(built.file().toAbsolutePath());
      }
    } catch (IOException | IllegalArgumentException e) {
      log.warn("cannot build the root image of {}: {}", function.id(), e.getMessage());
    }
    return local;
  }

  /**
   * The root images of this node for its snapshot manager, a restore's served through {@code files}
   * while it fills from remote storage ({@link LazyRootImages}). From then on a deploy of an image
   * that remote storage holds and this node lacks takes none of it: its first restore or boot does.
   */
  public LazyRootImages lazily(FileServer files) {
    if (remote == null) {
      throw new IllegalStateException("root images are served lazily from remote storage only");
    }
    deferFetches = true;
    return new LazyRootImages(this, builder.cache(), remote, files);
  }

  private RootImageCache.Lookup fetch(RemoteRootImages.Stored s) throws IOException {
    return builder
        .cache()
        .getOrBuild(
            s.imageDigest(),
            s.format(),
            work -> {
              remote.download(s, work.resolve("rootfs.img"));
              return s.config();
            });
  }

  private record Obtained(RootImage image, String how) {}

  /**
   * The root image of {@code source}: from this node's cache, else from remote storage, else built
   * here (and then stored remotely for the other nodes). Remote storage failing costs a build, not
   * the deploy.
   */
  private Obtained obtain(ImageSource source) throws IOException {
    ResolvedImage resolved = source.resolve();
    String digest = resolved.digest();
    FilesystemFormat format = builder.format();
    Optional<RootImage> cached = builder.cache().get(digest, format);
    if (cached.isPresent()) {
      return new Obtained(cached.get(), "found");
    }
    try {
      Optional<RemoteRootImages.Stored> stored = remote.find(digest, format);
      if (stored.isPresent()) {
        RemoteRootImages.Stored s = stored.get();
        if (deferFetches) {
          // Where the image will be once a restore or a boot has taken it.
          return new Obtained(
              new RootImage(
                  digest,
                  builder.cache().file(digest, format).toAbsolutePath(),
                  s.sizeBytes(),
                  format,
                  s.config()),
              "in remote storage, taken when first used");
        }
        return new Obtained(fetch(s).image(), "fetched from remote storage");
      }
    } catch (IOException e) {
      log.warn("root image of {} not taken from remote storage: {}", digest, e.getMessage());
    }
    RootImageBuilder.Result built = builder.build(source, resolved);
    if (built.built()) {
      try {
        remote.upload(built.image());
      } catch (IOException e) {
        log.warn("root image of {} not stored remotely: {}", digest, e.getMessage());
      }
    }
    return new Obtained(built.image(), built.built() ? "built and stored remotely" : "found");
  }

  /**
   * Whose fault a refused image is: the deployment's (INVALID, 400: not an image, an unknown tag,
   * credentials refused, unsafe layers), or the registry's (FAILED, 502: unreachable, or an error
   * of its own, 5xx or 429), which the same deployment may get past later.
   */
  static Refused.Kind refusalOf(ImageException e) {
    if (e instanceof RegistryException r
        && (r.status() == 0 || r.status() == 429 || r.status() >= 500)) {
      return Refused.Kind.FAILED;
    }
    return Refused.Kind.INVALID;
  }

  /**
   * The function id of {@code revision}: its name with dots made dashes (an id names files and
   * allows no dots), cut to the id's 63 characters.
   */
  static String functionId(Revision revision) {
    String id = revision.value().replace('.', '-');
    return id.length() > 63 ? id.substring(0, 63) : id;
  }
}
