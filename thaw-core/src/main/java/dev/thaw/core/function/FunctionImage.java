package dev.thaw.core.function;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A function that runs its own program from a root filesystem image, as a container runtime runs an
 * OCI image: what the microVM attaches as its read-only root and how to start the program.
 *
 * <p>Everything here travels to the guest in one small description (see {@code guest/thaw-guest.c}:
 * NUL-separated {@code key=value} strings), so every string is free of NUL, and the whole is
 * bounded by {@link #MAX_DESCRIPTION_BYTES}.
 *
 * @param rootfs the root filesystem image on this node (ext4), attached read-only
 * @param digest the image's content digest ({@code sha256:} and 64 hex digits): which image it is
 * @param argv the program and its arguments (entrypoint followed by cmd); {@code argv[0]} is looked
 *     up in the function's {@code PATH} when it holds no {@code /}
 * @param env the environment, {@code NAME=value} each, names unique
 * @param workdir the absolute working directory inside the image
 * @param user the numeric {@code uid} or {@code uid:gid} the program runs as
 * @param groups the supplementary group ids the program runs with, at most {@link #MAX_GROUPS};
 *     empty (or null, as manifests written before groups were carried read) for none
 * @param port the TCP port the program listens on; invocations are sent there
 * @param hooks the paths on {@code port} the node asks around the function's snapshot; {@link
 *     FunctionHooks#NONE} (or null, and then left out of JSON) for none
 */
public record FunctionImage(
    Path rootfs,
    String digest,
    List<String> argv,
    List<String> env,
    String workdir,
    String user,
    List<Integer> groups,
    int port,
    @JsonInclude(value = JsonInclude.Include.CUSTOM, valueFilter = FunctionHooks.NoneFilter.class)
        FunctionHooks hooks) {
  /** The guest's own control server listens here (Knative reserves it too): no function may. */
  public static final int CONTROL_PORT = 8022;

  /** Most entries {@code argv} and {@code env} may each hold. */
  public static final int MAX_ENTRIES = 256;

  /** Most supplementary groups the guest sets. */
  public static final int MAX_GROUPS = 64;

  /** Longest encoded description of the function the guest accepts. */
  public static final int MAX_DESCRIPTION_BYTES = 64 * 1024;

  private static final Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");
  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_.-]*");
  private static final Pattern USER = Pattern.compile("\\d{1,10}(:\\d{1,10})?");

  public FunctionImage {
    Objects.requireNonNull(rootfs, "rootfs");
    Objects.requireNonNull(digest, "digest");
    argv = List.copyOf(Objects.requireNonNull(argv, "argv"));
    env = List.copyOf(Objects.requireNonNull(env, "env"));
    Objects.requireNonNull(workdir, "workdir");
    Objects.requireNonNull(user, "user");
    groups = groups == null ? List.of() : List.copyOf(groups);
    hooks = hooks == null ? FunctionHooks.NONE : hooks;
    if (!rootfs.isAbsolute()) {
      throw new IllegalArgumentException("rootfs must be an absolute path: " + rootfs);
    }
    if (!DIGEST.matcher(digest).matches()) {
      throw new IllegalArgumentException("digest must be sha256:<64 hex digits>: '" + digest + "'");
    }
    if (argv.isEmpty()) {
      throw new IllegalArgumentException("argv is empty: the image names no program to run");
    }
    if (argv.size() > MAX_ENTRIES || env.size() > MAX_ENTRIES) {
      throw new IllegalArgumentException(
          "argv and env hold at most " + MAX_ENTRIES + " entries each");
    }
    if (argv.get(0).isEmpty()) {
      throw new IllegalArgumentException("argv[0] is empty");
    }
    argv.forEach(a -> checkText("an argument", a, false));
    var names = new java.util.HashSet<String>();
    for (String e : env) {
      checkText("an env entry", e, true);
      int eq = e.indexOf('=');
      String name = eq < 0 ? e : e.substring(0, eq);
      if (eq < 0 || !ENV_NAME.matcher(name).matches()) {
        throw new IllegalArgumentException("env entries are NAME=value: '" + e + "'");
      }
      if (!names.add(name)) {
        throw new IllegalArgumentException("env names " + name + " twice");
      }
    }
    checkText("workdir", workdir, true);
    if (!workdir.startsWith("/")) {
      throw new IllegalArgumentException("workdir must be absolute: '" + workdir + "'");
    }
    if (!USER.matcher(user).matches()) {
      throw new IllegalArgumentException("user must be numeric, uid or uid:gid: '" + user + "'");
    }
    if (groups.size() > MAX_GROUPS) {
      throw new IllegalArgumentException(
          "at most " + MAX_GROUPS + " supplementary groups: " + groups.size() + " given");
    }
    for (int g : groups) {
      if (g < 0) {
        throw new IllegalArgumentException("group ids are not negative: " + g);
      }
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port must be within 1..65535: " + port);
    }
    if (port == CONTROL_PORT) {
      throw new IllegalArgumentException(
          "port " + CONTROL_PORT + " is the guest's control port; the function must use another");
    }
    int bytes = description(argv, env, workdir, user, groups, port).length;
    if (bytes > MAX_DESCRIPTION_BYTES) {
      throw new IllegalArgumentException(
          "argv, env and workdir take "
              + bytes
              + " bytes; the guest accepts at most "
              + MAX_DESCRIPTION_BYTES);
    }
  }

  /** A function without snapshot hooks. */
  public FunctionImage(
      Path rootfs,
      String digest,
      List<String> argv,
      List<String> env,
      String workdir,
      String user,
      List<Integer> groups,
      int port) {
    this(rootfs, digest, argv, env, workdir, user, groups, port, FunctionHooks.NONE);
  }

  /** A function whose program runs without supplementary groups. */
  public FunctionImage(
      Path rootfs,
      String digest,
      List<String> argv,
      List<String> env,
      String workdir,
      String user,
      int port) {
    this(rootfs, digest, argv, env, workdir, user, List.of(), port);
  }

  /** A function that runs {@code argv} as root in {@code /} with no environment of its own. */
  public static FunctionImage of(Path rootfs, String digest, List<String> argv, int port) {
    return new FunctionImage(rootfs, digest, argv, List.of(), "/", "0", port);
  }

  /**
   * This image at {@code rootfs}: the same image (same digest) where another node keeps it. A
   * snapshot's manifest names the path of the node that made it.
   */
  public FunctionImage withRootfs(Path rootfs) {
    return new FunctionImage(rootfs, digest, argv, env, workdir, user, groups, port, hooks);
  }

  /** This image with {@code hooks} asked around its snapshot. */
  public FunctionImage withHooks(FunctionHooks hooks) {
    return new FunctionImage(rootfs, digest, argv, env, workdir, user, groups, port, hooks);
  }

  /**
   * This image with {@code entries} ({@code NAME=value}) added to its environment, each only when
   * the environment does not name it already.
   */
  public FunctionImage withDefaultEnv(List<String> entries) {
    java.util.Set<String> named = new java.util.HashSet<>();
    env.forEach(e -> named.add(e.substring(0, e.indexOf('='))));
    List<String> all = new java.util.ArrayList<>(env);
    for (String e : entries) {
      int eq = e.indexOf('=');
      if (eq > 0 && named.add(e.substring(0, eq))) {
        all.add(e);
      }
    }
    return new FunctionImage(rootfs, digest, argv, all, workdir, user, groups, port, hooks);
  }

  private static void checkText(String what, String value, boolean noNewline) {
    Objects.requireNonNull(value, what);
    if (value.indexOf('\0') >= 0 || (noNewline && (value.contains("\n") || value.contains("\r")))) {
      throw new IllegalArgumentException(
          what + " holds a NUL" + (noNewline ? " or a line break" : "") + ": '" + value + "'");
    }
  }

  /**
   * The description the guest reads (see {@code guest/thaw-guest.c}): UTF-8 {@code key=value}
   * strings, each ended by a NUL: {@code arg} once per argv entry in order, {@code env} once per
   * entry, then {@code dir}, {@code user}, {@code groups} (comma-separated gids; left out when
   * there are none, so the description is the one older guests read), {@code port} and {@code
   * control} ({@link #CONTROL_PORT}).
   */
  public byte[] guestDescription() {
    return description(argv, env, workdir, user, groups, port);
  }

  private static byte[] description(
      List<String> argv,
      List<String> env,
      String workdir,
      String user,
      List<Integer> groups,
      int port) {
    StringBuilder s = new StringBuilder();
    argv.forEach(a -> s.append("arg=").append(a).append('\0'));
    env.forEach(e -> s.append("env=").append(e).append('\0'));
    s.append("dir=").append(workdir).append('\0');
    s.append("user=").append(user).append('\0');
    if (!groups.isEmpty()) {
      s.append("groups=");
      s.append(String.join(",", groups.stream().map(String::valueOf).toList()));
      s.append('\0');
    }
    s.append("port=").append(port).append('\0');
    s.append("control=").append(CONTROL_PORT).append('\0');
    return s.toString().getBytes(StandardCharsets.UTF_8);
  }
}
