package dev.thaw.image;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What the guest needs to run an image, taken from the image config's {@code config} object (the
 * OCI image spec's field names in brackets). The guest starts {@link #command()} with {@link #env}
 * in {@link #workingDir} as {@link #user}.
 *
 * @param entrypoint {@code Entrypoint}: the program and its first arguments (may be empty)
 * @param cmd {@code Cmd}: arguments after the entrypoint, or the whole command without one
 * @param env {@code Env}: {@code NAME=value} strings in the image's order
 * @param workingDir {@code WorkingDir}: absolute directory to start in, {@code /} when unset
 * @param user {@code User}: {@code uid}, {@code uid:gid}, {@code name} or {@code name:group}; ""
 *     means root (names resolve against the image's own /etc/passwd and /etc/group)
 * @param exposedPorts {@code ExposedPorts}: the TCP ports the image declares ({@code 8080/tcp});
 *     UDP ports are left out
 * @param resolvedUser {@link #user} as the image's own /etc/passwd and /etc/group resolve it
 *     ({@link ImageUsers}), once a build has read them; null in a config read from the image alone
 *     and in records written before users were resolved
 * @param labels {@code Labels}: the image's labels (Thaw reads its snapshot hooks from them); empty
 *     (or null, as records written before labels were read) for none
 */
public record ImageConfig(
    List<String> entrypoint,
    List<String> cmd,
    List<String> env,
    String workingDir,
    String user,
    Set<Integer> exposedPorts,
    ResolvedUser resolvedUser,
    Map<String, String> labels) {
  public ImageConfig {
    labels = labels == null ? Map.of() : Map.copyOf(labels);
    entrypoint = List.copyOf(Objects.requireNonNull(entrypoint, "entrypoint"));
    cmd = List.copyOf(Objects.requireNonNull(cmd, "cmd"));
    env = List.copyOf(Objects.requireNonNull(env, "env"));
    Objects.requireNonNull(workingDir, "workingDir");
    if (workingDir.isEmpty()) {
      workingDir = "/";
    }
    Objects.requireNonNull(user, "user");
    exposedPorts = Set.copyOf(Objects.requireNonNull(exposedPorts, "exposedPorts"));
    for (int port : exposedPorts) {
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("exposed port out of range: " + port);
      }
    }
  }

  /** A config without labels. */
  public ImageConfig(
      List<String> entrypoint,
      List<String> cmd,
      List<String> env,
      String workingDir,
      String user,
      Set<Integer> exposedPorts,
      ResolvedUser resolvedUser) {
    this(entrypoint, cmd, env, workingDir, user, exposedPorts, resolvedUser, Map.of());
  }

  /** A config without labels as the image gives it, its user not resolved yet. */
  public ImageConfig(
      List<String> entrypoint,
      List<String> cmd,
      List<String> env,
      String workingDir,
      String user,
      Set<Integer> exposedPorts) {
    this(entrypoint, cmd, env, workingDir, user, exposedPorts, null, Map.of());
  }

  /** This config with its user resolved as {@code resolved}. */
  public ImageConfig withResolvedUser(ResolvedUser resolved) {
    return new ImageConfig(
        entrypoint,
        cmd,
        env,
        workingDir,
        user,
        exposedPorts,
        Objects.requireNonNull(resolved, "resolved"),
        labels);
  }

  /** The command line to start: entrypoint then cmd, as container runtimes join them. */
  public List<String> command() {
    List<String> all = new ArrayList<>(entrypoint);
    all.addAll(cmd);
    return List.copyOf(all);
  }
}
