package dev.thaw.core.function;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;

/**
 * The path (and query) an invocation asks of its function, as the guest's URI. Only origin-form is
 * accepted — {@code /…}, optionally {@code ?query} — and the URI is built from the instance's own
 * scheme, host and port, so an invocation can never make the node fetch another host ({@code
 * //other:1234/x} is a network-path reference, refused here).
 */
public final class FunctionPaths {
  /** Longest path and query accepted. */
  public static final int MAX_LENGTH = 8192;

  /**
   * The prefix of the guest's control requests ({@code /_thaw/resume}, {@code /_thaw/mute}, …),
   * which only a VM's own agent sends; an invocation never carries one.
   */
  public static final String RESERVED = "/_thaw/";

  private FunctionPaths() {}

  /**
   * Whether {@code path} names the guest's control requests: its path (before any query), with its
   * ASCII percent-escapes decoded as a server might decode them, starts with {@link #RESERVED} (or
   * is {@code /_thaw}).
   */
  public static boolean reserved(String path) {
    int q = path.indexOf('?');
    String raw = q < 0 ? path : path.substring(0, q);
    StringBuilder p = new StringBuilder(raw.length());
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c == '%'
          && i + 2 < raw.length()
          && hex((byte) raw.charAt(i + 1))
          && hex((byte) raw.charAt(i + 2))) {
        int v = Integer.parseInt(raw.substring(i + 1, i + 3), 16);
        if (v < 0x80) {
          p.append((char) v);
          i += 2;
          continue;
        }
      }
      p.append(c);
    }
    String decoded = p.toString();
    return decoded.startsWith(RESERVED) || decoded.equals(RESERVED.substring(0, 6));
  }

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
   * The guest URI of {@code path} on {@code endpoint}'s scheme, host and port. The path and query
   * go as given, escapes ({@code %2F}) included, so the function sees the request-target its caller
   * sent; characters not allowed in a URI (a space, a lone {@code %}, non-ASCII) are
   * percent-encoded as UTF-8.
   */
  public static URI resolve(URI endpoint, String path) {
    check(path);
    StringBuilder target = new StringBuilder(path.length() + 16);
    byte[] bytes = path.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < bytes.length; i++) {
      int b = bytes[i] & 0xff;
      boolean escape = b == '%' && i + 2 < bytes.length && hex(bytes[i + 1]) && hex(bytes[i + 2]);
      if (escape || b < 0x80 && ALLOWED.indexOf(b) >= 0) {
        target.append((char) b);
      } else {
        target.append('%').append(HEX.charAt(b >> 4)).append(HEX.charAt(b & 15));
      }
    }
    try {
      return new URI(endpoint.getScheme() + "://" + endpoint.getRawAuthority() + target);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("not a usable invocation path: " + e.getMessage(), e);
    }
  }

  /** RFC 3986 pchar and query characters besides escapes: unreserved, sub-delims, : @ / ?. */
  private static final String ALLOWED =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@/?";

  private static final String HEX = "0123456789ABCDEF";

  private static boolean hex(byte b) {
    return b >= '0' && b <= '9' || b >= 'a' && b <= 'f' || b >= 'A' && b <= 'F';
  }

  private static String printable(String s) {
    String p = s.replaceAll("[^\\x20-\\x7e]", "?");
    return p.length() > 80 ? p.substring(0, 80) + "…" : p;
  }
}
