package dev.thaw.core.function;

import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * What an invocation asks of its function: a method, an origin-form path (see {@link
 * FunctionPaths}), the headers that travel to it (see {@link FunctionHeaders}) and a body, bytes
 * passed unchanged.
 *
 * @param method one of {@link #METHODS}: {@code GET}, {@code HEAD}, {@code POST}, {@code PUT},
 *     {@code PATCH}, {@code DELETE} or {@code OPTIONS}
 * @param path the path and query, origin-form
 * @param headers request headers for the function, already filtered (names case-insensitive)
 * @param body the body; empty for none, and empty for {@code GET} and {@code HEAD}
 */
public record FunctionRequest(
    String method, String path, Map<String, String> headers, byte[] body) {
  /** Longest body an invocation carries, in either direction: Lambda's synchronous bound. */
  public static final int MAX_BODY_BYTES = 6 << 20;

  /**
   * The methods a function can be invoked with: those a REST API uses. {@code CONNECT} and {@code
   * TRACE} are not among them: one asks for a tunnel, the other echoes the request (headers a proxy
   * added included) back to the caller.
   */
  public static final Set<String> METHODS =
      Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");

  /**
   * @throws IllegalArgumentException naming what is wrong: an unsupported method, a path that is
   *     not origin-form, a body too large or on a {@code GET}/{@code HEAD}
   */
  public FunctionRequest {
    Objects.requireNonNull(method, "method");
    method = method.toUpperCase(Locale.ROOT);
    if (!METHODS.contains(method)) {
      throw new IllegalArgumentException(
          "method " + printable(method) + " is not one a function is invoked with: " + METHODS);
    }
    FunctionPaths.check(path);
    Map<String, String> h = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    h.putAll(Objects.requireNonNull(headers, "headers"));
    headers = java.util.Collections.unmodifiableMap(h);
    Objects.requireNonNull(body, "body");
    if (body.length > MAX_BODY_BYTES) {
      throw new IllegalArgumentException(
          "an invocation body has at most " + MAX_BODY_BYTES + " bytes, not " + body.length);
    }
    if (body.length > 0 && (method.equals("GET") || method.equals("HEAD"))) {
      // The JDK's client would silently turn such a request into a POST.
      throw new IllegalArgumentException("a " + method + " invocation carries no body");
    }
  }

  /**
   * This request asking the function to close its connection once it has answered ({@code
   * Connection: close}): the one an instance about to be snapshotted answers, so that no connection
   * of the agent's is open in its guest when it is paused (the pause would wait for it, and no
   * clone could use it).
   */
  public FunctionRequest closingConnection() {
    Map<String, String> h = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    h.putAll(headers);
    h.put("Connection", "close");
    return new FunctionRequest(method, path, h, body);
  }

  /** {@code GET path} with no headers. */
  public static FunctionRequest get(String path) {
    return new FunctionRequest("GET", path, Map.of(), new byte[0]);
  }

  /** The body's media type, when the caller named one. */
  public Optional<String> contentType() {
    return Optional.ofNullable(headers.get("Content-Type"));
  }

  private static String printable(String s) {
    String p = s.replaceAll("[^\\x20-\\x7e]", "?");
    return p.length() > 40 ? p.substring(0, 40) + "…" : p;
  }
}
