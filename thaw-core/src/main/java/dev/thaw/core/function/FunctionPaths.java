package dev.thaw.core.function;

import java.net.URI;
import java.net.URISyntaxException;

/**
 * The path (and query) an invocation asks of its function, as the guest's URI. Only origin-form is
 * accepted — {@code /…}, optionally {@code ?query} — and the URI is built from the instance's own
 * scheme, host and port, so an invocation can never make the node fetch another host ({@code
 * //other:1234/x} is a network-path reference, refused here).
 */
public final class FunctionPaths {
  /** Longest path and query accepted. */
  public static final int MAX_LENGTH = 8192;

  private FunctionPaths() {}

  /**
   * Checks {@code path} is origin-form.
   *
   * @throws IllegalArgumentException naming what is wrong with it
   */
  public static String check(String path) {
    if (path == null || path.isEmpty() || path.charAt(0) != '/') {
      throw new IllegalArgumentException("an invocation path starts with '/': '" + path + "'");
    }
    if (path.startsWith("//")) {
      throw new IllegalArgumentException(
          "an invocation path names no host: '" + printable(path) + "'");
    }
    if (path.length() > MAX_LENGTH) {
      throw new IllegalArgumentException(
          "an invocation path has at most " + MAX_LENGTH + " characters, not " + path.length());
    }
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c < 0x20 || c == 0x7f || c == '#') {
        throw new IllegalArgumentException(
            "an invocation path holds no control characters or '#': '" + printable(path) + "'");
      }
    }
    return path;
  }

  /**
   * The guest URI of {@code path} on {@code endpoint}'s scheme, host and port; characters not
   * allowed in a URI (a space, say) are percent-encoded.
   */
  public static URI resolve(URI endpoint, String path) {
    check(path);
    int q = path.indexOf('?');
    try {
      return new URI(
          endpoint.getScheme(),
          null,
          endpoint.getHost(),
          endpoint.getPort(),
          q < 0 ? path : path.substring(0, q),
          q < 0 ? null : path.substring(q + 1),
          null);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("not a usable invocation path: " + e.getMessage(), e);
    }
  }

  private static String printable(String s) {
    String p = s.replaceAll("[^\\x20-\\x7e]", "?");
    return p.length() > 80 ? p.substring(0, 80) + "…" : p;
  }
}
