package dev.thaw.node.protocol;

import dev.thaw.core.function.FunctionHeaders;
import dev.thaw.core.function.FunctionPaths;
import dev.thaw.core.function.FunctionRequest;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.http.HttpCall;
import dev.thaw.node.snapshot.fill.ManifestDigest;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * How an invocation's request travels to the agent's and the gateway's {@code POST
 * /functions/{revision}/invoke}: the path in {@code ?path=} (default {@code /}), the function's
 * method in {@value #METHOD} (default {@code GET}), the body as the request's body and the headers
 * {@link FunctionHeaders} lets through as the request's own. This class is the only place that
 * writes or reads that form.
 */
public final class InvokeRequests {
  /** The header naming the method the function is invoked with. */
  public static final String METHOD = "X-Thaw-Method";

  /**
   * The header that carries a caller's own {@code Authorization} from the gateway to the agent: on
   * that hop {@code Authorization} is the management token, which is the agent's and never the
   * function's.
   */
  public static final String CALLER_AUTHORIZATION = "X-Thaw-Caller-Authorization";

  /**
   * The header in which the gateway hands the agent the digest of the revision's snapshot manifest
   * ({@link ManifestDigest}), as the snapshot's maker reported it. The gateway sets it itself: a
   * caller's {@code X-Thaw-…} headers never pass ({@link FunctionHeaders}), nor does it reach the
   * function.
   */
  public static final String MANIFEST_SHA256 = "X-Thaw-Manifest-Sha256";

  /**
   * How long an invocation's connection may stay silent, at the gateway, the agent and their
   * clients: a cold start under load (minutes), then the longest timeout a function may have.
   */
  public static final Duration SILENCE =
      Duration.ofMinutes(5).plusSeconds(FunctionSpec.MAX_TIMEOUT_SECONDS);

  /** Request bodies the agent and the gateway accept: an invocation's, and room to spare. */
  public static final long MAX_BODY_BYTES = FunctionRequest.MAX_BODY_BYTES;

  private InvokeRequests() {}

  /**
   * The invocation {@code call} asks for, in the {@code ?path=} form.
   *
   * @throws Refused INVALID for a method, path or body a function cannot be invoked with
   */
  public static FunctionRequest read(HttpCall call) {
    return of(
        call.header(METHOD).orElse("GET"),
        call.query("path").orElse("/"),
        FunctionHeaders.select(call::headers),
        call.body());
  }

  /**
   * The manifest digest the gateway handed with {@code call}, if any.
   *
   * @throws Refused INVALID when the header is there but holds no SHA-256
   */
  public static Optional<ManifestDigest> manifestDigest(HttpCall call) {
    Optional<String> given = call.header(MANIFEST_SHA256);
    if (given.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(new ManifestDigest(given.get().strip()));
    } catch (IllegalArgumentException e) {
      throw new Refused(Refused.Kind.INVALID, e.getMessage(), e);
    }
  }

  /**
   * The invocation {@code call} asks for, as {@link #read}, on the agent: the request's {@code
   * Authorization} is its credential there (the management token), so the function gets the
   * caller's own from {@link #CALLER_AUTHORIZATION} instead, or none.
   *
   * @throws Refused INVALID for a method, path or body a function cannot be invoked with
   */
  public static FunctionRequest relayed(HttpCall call) {
    Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    headers.putAll(FunctionHeaders.select(call::headers));
    headers.remove("Authorization");
    call.header(CALLER_AUTHORIZATION).ifPresent(a -> headers.put("Authorization", a));
    return of(
        call.header(METHOD).orElse("GET"), call.query("path").orElse("/"), headers, call.body());
  }

  /**
   * The invocation a plain HTTP request {@code call} makes: its own method, the path after the
   * revision's segment ({@code rawPath}, still encoded) with its query, headers and body.
   *
   * @throws Refused INVALID for a method, path or body a function cannot be invoked with
   */
  public static FunctionRequest plain(HttpCall call, String rawPath) {
    String path = rawPath.isEmpty() ? "/" : rawPath;
    return of(
        call.method(),
        call.rawQuery().map(q -> path + "?" + q).orElse(path),
        FunctionHeaders.select(call::headers),
        call.body());
  }

  private static FunctionRequest of(
      String method, String path, Map<String, String> headers, byte[] body) {
    if (FunctionPaths.reserved(path)) {
      // The guest's control requests (resume with a seed and a clock, mute, sync) are its
      // agent's alone: a caller of the open invocation routes must not reach them.
      throw new Refused(
          Refused.Kind.INVALID,
          "paths under " + FunctionPaths.RESERVED + " are reserved for the platform",
          null);
    }
    try {
      return new FunctionRequest(method, path, headers, body);
    } catch (IllegalArgumentException e) {
      throw new Refused(Refused.Kind.INVALID, e.getMessage(), e);
    }
  }
}
