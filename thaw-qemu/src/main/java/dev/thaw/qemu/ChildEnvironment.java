package dev.thaw.qemu;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The environment of the processes Thaw starts (QEMU, the guest image build): only the variables
 * they use, taken from the parent's, never the rest. A node's own environment holds storage
 * credentials ({@code AWS_SECRET_ACCESS_KEY}, …) that no child needs and that anyone able to read
 * {@code /proc/<pid>/environ} of a child would otherwise see.
 */
public final class ChildEnvironment {
  /** Used when the parent has no {@code PATH}: where a Debian system keeps its programs. */
  static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

  /**
   * What QEMU gets: {@code PATH} (setpriv finds QEMU through it, and QEMU runs {@code cat} for
   * {@code exec:} migrations), the locale and time zone, and {@code TMPDIR} for its temporary
   * files.
   */
  public static final Set<String> QEMU =
      Set.of("PATH", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "TZ", "TMPDIR");

  /**
   * What {@code guest/build.sh} gets: QEMU's set plus what the build reads ({@code
   * THAW_KERNEL_PACKAGE}), apt's configuration file and the proxy through which apt reaches the
   * package archive.
   */
  public static final Set<String> GUEST_BUILD =
      Set.of(
          "PATH",
          "LANG",
          "LANGUAGE",
          "LC_ALL",
          "LC_CTYPE",
          "LC_MESSAGES",
          "TZ",
          "TMPDIR",
          "THAW_KERNEL_PACKAGE",
          "APT_CONFIG",
          "http_proxy",
          "https_proxy",
          "no_proxy",
          "HTTP_PROXY",
          "HTTPS_PROXY",
          "NO_PROXY");

  private ChildEnvironment() {}

  /** QEMU's environment, from the parent's. */
  public static Map<String, String> forQemu(Map<String, String> parent) {
    return only(parent, QEMU);
  }

  /** The guest build's environment, from the parent's. */
  public static Map<String, String> forGuestBuild(Map<String, String> parent) {
    return only(parent, GUEST_BUILD);
  }

  /**
   * The variables of {@code parent} named in {@code names}, and a {@code PATH} (the parent's, else
   * {@link #DEFAULT_PATH}).
   */
  static Map<String, String> only(Map<String, String> parent, Set<String> names) {
    Map<String, String> env = new TreeMap<>();
    for (String name : names) {
      String value = parent.get(name);
      if (value != null) {
        env.put(name, value);
      }
    }
    String path = env.get("PATH");
    if (path == null || path.isBlank()) {
      env.put("PATH", DEFAULT_PATH);
    }
    return env;
  }

  /** Gives {@code builder}'s child exactly {@code env}, nothing inherited. */
  public static ProcessBuilder apply(ProcessBuilder builder, Map<String, String> env) {
    Map<String, String> target = builder.environment();
    target.clear();
    target.putAll(env);
    return builder;
  }
}
