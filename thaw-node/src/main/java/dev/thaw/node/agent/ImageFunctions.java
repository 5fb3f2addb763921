package dev.thaw.node.agent;

import dev.thaw.core.function.FunctionImage;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.function.Revision;
import dev.thaw.image.ImageConfig;
import dev.thaw.image.ImageException;
import dev.thaw.image.ImageSource;
import dev.thaw.image.ImageSources;
import dev.thaw.image.RootImage;
import dev.thaw.image.RootImageBuilder;
import dev.thaw.node.protocol.ImageDeployment;
import dev.thaw.node.protocol.Refused;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns an {@link ImageDeployment} into the {@link FunctionSpec} a node runs: pulls the image
 * (registry, layout directory or tarball), builds its root filesystem image once per image digest
 * in the node's image cache ({@link RootImageBuilder}), and joins the image's config with the
 * deployment's overrides as a container runtime does. The root image's path is where every node
 * that shares the cache layout keeps it, so a snapshot made on one node names a file the others
 * have once they deployed the same image.
 */
public final class ImageFunctions {
  private static final Logger log = LoggerFactory.getLogger(ImageFunctions.class);
  private static final Pattern NUMERIC_USER = Pattern.compile("\\d{1,10}(:\\d{1,10})?");

  /** Knative's default port for a container that declares none. */
  public static final int DEFAULT_PORT = 8080;

  private final RootImageBuilder builder;
  private final ImageSources.Registries registries;

  public ImageFunctions(RootImageBuilder builder, ImageSources.Registries registries) {
    this.builder = Objects.requireNonNull(builder, "builder");
    this.registries = Objects.requireNonNull(registries, "registries");
  }

  /**
   * The function {@code deployment} describes, as {@code revision}; its root image built or found.
   *
   * @throws Refused INVALID for an image that is refused (not an image, wrong digest, no command,
   *     unsafe or oversized layers) or settings that do not fit it; FAILED when the image cannot be
   *     fetched or built for reasons not its own (a registry down, a full disk)
   */
  public FunctionSpec resolve(Revision revision, ImageDeployment deployment) {
    RootImageBuilder.Result built;
    try (ImageSource source = ImageSources.open(deployment.image(), registries)) {
      built = builder.build(source);
    } catch (ImageException | IllegalArgumentException e) {
      throw new Refused(
          Refused.Kind.INVALID, "image " + deployment.image() + " refused: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new Refused(
          Refused.Kind.FAILED, "cannot get image " + deployment.image() + ": " + e.getMessage(), e);
    }
    RootImage image = built.image();
    log.info(
        "{} runs {} ({}): root image {} {} in {} ms",
        revision,
        deployment.image(),
        image.imageDigest(),
        image.file(),
        built.built() ? "built" : "found",
        built.took().toMillis());
    try {
      return FunctionSpec.ofImage(
          functionId(revision),
          deployment.memoryMibOrDefault(),
          deployment.vcpusOrDefault(),
          functionImage(image, deployment));
    } catch (IllegalArgumentException e) {
      throw new Refused(
          Refused.Kind.INVALID, "cannot run " + deployment.image() + ": " + e.getMessage(), e);
    }
  }

  /** What the guest starts: the image's config with the deployment's overrides. */
  static FunctionImage functionImage(RootImage image, ImageDeployment d) {
    ImageConfig c = image.config();
    List<String> argv = new ArrayList<>(d.command() != null ? d.command() : c.entrypoint());
    if (d.args() != null) {
      argv.addAll(d.args());
    } else if (d.command() == null) {
      argv.addAll(c.cmd());
    }
    if (argv.isEmpty()) {
      throw new IllegalArgumentException(
          "the image has no entrypoint or cmd and the deployment gives no command");
    }
    Map<String, String> env = new LinkedHashMap<>();
    for (List<String> entries : List.of(c.env(), d.env() == null ? List.<String>of() : d.env())) {
      for (String e : entries) {
        int eq = e.indexOf('=');
        if (eq <= 0) {
          throw new IllegalArgumentException("env entries are NAME=value: '" + e + "'");
        }
        env.put(e.substring(0, eq), e);
      }
    }
    return new FunctionImage(
        image.file().toAbsolutePath(),
        image.imageDigest(),
        argv,
        List.copyOf(env.values()),
        c.workingDir(),
        user(c.user()),
        port(c, d));
  }

  private static int port(ImageConfig c, ImageDeployment d) {
    if (d.port() != null) {
      return d.port();
    }
    if (c.exposedPorts().size() == 1) {
      return c.exposedPorts().iterator().next();
    }
    if (c.exposedPorts().size() > 1) {
      throw new IllegalArgumentException(
          "the image exposes ports "
              + new java.util.TreeSet<>(c.exposedPorts())
              + ": say which one serves invocations (port)");
    }
    return DEFAULT_PORT;
  }

  private static String user(String user) {
    if (user.isEmpty()) {
      return "0";
    }
    if (!NUMERIC_USER.matcher(user).matches()) {
      throw new IllegalArgumentException(
          "the image runs as user '"
              + user
              + "': only numeric users (uid or uid:gid) are supported; rebuild the image with one");
    }
    return user;
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
