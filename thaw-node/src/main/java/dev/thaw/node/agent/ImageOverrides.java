package dev.thaw.node.agent;

import dev.thaw.core.function.FunctionHooks;
import dev.thaw.core.function.FunctionImage;
import dev.thaw.image.ImageConfig;
import dev.thaw.image.ResolvedUser;
import dev.thaw.image.RootImage;
import dev.thaw.node.protocol.ImageDeployment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * What a guest starts from an image: the image's config joined with a deployment's overrides, as a
 * container runtime joins them (command and args replace entrypoint and cmd, env entries are added
 * or replaced by name, the port is the deployment's or the image's one exposed port). Pure: it
 * reads the root image's recorded config and never the image itself, so every rule is tested
 * without a registry or a VM.
 */
final class ImageOverrides {
  /** Knative's default port for a container that declares none. */
  static final int DEFAULT_PORT = 8080;

  private static final Pattern NUMERIC_USER = Pattern.compile("\\d{1,10}(:\\d{1,10})?");

  private ImageOverrides() {}

  /**
   * What the guest starts: the image's config with the deployment's overrides. The program runs as
   * the config's user resolved against the image's own passwd and group files (uid, gid,
   * supplementary groups), with {@code HOME} set to that user's home unless the image or the
   * deployment sets it (Docker's rule). Its snapshot hooks are the deployment's, each it leaves out
   * taken from the image's labels.
   */
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
    ResolvedUser user = c.resolvedUser();
    if (user != null) {
      env.putIfAbsent("HOME", "HOME=" + user.home());
    }
    return new FunctionImage(
        image.file().toAbsolutePath(),
        image.imageDigest(),
        argv,
        List.copyOf(env.values()),
        c.workingDir(),
        user == null ? unresolvedUser(c.user()) : user.uidGid(),
        user == null ? List.of() : user.groups(),
        port(c, d),
        d.hooksOrNone().orElse(FunctionHooks.fromLabels(c.labels())));
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
              + new TreeSet<>(c.exposedPorts())
              + ": say which one serves invocations (port)");
    }
    return DEFAULT_PORT;
  }

  /**
   * The user of a root image recorded before users were resolved at build time: numeric users run
   * as they always did; a name cannot be looked up any more, so it is refused.
   */
  private static String unresolvedUser(String user) {
    if (user.isEmpty()) {
      return "0";
    }
    if (!NUMERIC_USER.matcher(user).matches()) {
      throw new IllegalArgumentException(
          "the image runs as user '"
              + user
              + "', but its root image was built before named users were resolved; delete it"
              + " from the image cache (and remote storage) so that it is built again");
    }
    return user;
  }
}
