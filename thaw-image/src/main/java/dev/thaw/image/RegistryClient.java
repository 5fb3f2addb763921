package dev.thaw.image;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Pulls from one repository of a registry with the OCI distribution API: {@code GET
 * /v2/<name>/manifests/<reference>} and {@code GET /v2/<name>/blobs/<digest>}. Authentication
 * follows the registry's {@code WWW-Authenticate} challenge: {@code Bearer} (a token from the
 * realm, asked with the credentials if there are any, anonymously else) or {@code Basic}. Redirects
 * (registries send blobs to storage) are followed by hand so the {@code Authorization} header never
 * goes to another host. HTTPS always; a registry that may fall back to plain HTTP (loopback or
 * listed as insecure) does so on its first TLS failure, and stays there. Nothing here logs headers,
 * tokens or credentials.
 */
final class RegistryClient {
  private static final Pattern PARAM = Pattern.compile("(\\w+)=\"([^\"]*)\"");
  private static final int MAX_REDIRECTS = 5;

  private final HttpClient http;
  private volatile String base;
  private volatile boolean mayFallBack;
  private final ImageReference ref;
  private final Optional<RegistryCredentials> credentials;
  private final Duration timeout;
  private volatile String authorization;

  RegistryClient(
      HttpClient http,
      boolean mayFallBackToHttp,
      ImageReference ref,
      Optional<RegistryCredentials> credentials,
      Duration timeout) {
    this.http = http;
    this.base = "https://" + ref.apiHost() + "/v2/" + ref.repository();
    this.mayFallBack = mayFallBackToHttp;
    this.ref = ref;
    this.credentials = credentials;
    this.timeout = timeout;
  }

  /** A manifest's bytes and the media type the registry gave it. */
  record Manifest(byte[] bytes, String mediaType, Optional<String> digestHeader) {}

  Manifest manifest(String reference) throws IOException {
    HttpResponse<InputStream> r = get("/manifests/" + reference, Manifests.ACCEPT);
    byte[] bytes = Blobs.readBounded(r.body(), ref + " manifest");
    return new Manifest(
        bytes,
        r.headers().firstValue("Content-Type").orElse(""),
        r.headers().firstValue("Docker-Content-Digest"));
  }

  InputStream blob(String digest) throws IOException {
    return get("/blobs/" + digest, "*/*").body();
  }

  private HttpResponse<InputStream> get(String path, String accept) throws IOException {
    URI uri = URI.create(base + path);
    HttpResponse<InputStream> r;
    try {
      r = send(uri, accept, authorization);
    } catch (javax.net.ssl.SSLException e) {
      if (!mayFallBack) {
        throw new RegistryException(
            "TLS with registry " + ref.registry() + " failed: " + e.getMessage(), e);
      }
      mayFallBack = false;
      base = "http://" + ref.apiHost() + "/v2/" + ref.repository();
      uri = URI.create(base + path);
      r = send(uri, accept, authorization);
    }
    mayFallBack = false; // it answered: whichever scheme it speaks, it keeps
    if (r.statusCode() == 401) {
      String challenge = r.headers().firstValue("WWW-Authenticate").orElse("");
      r.body().close();
      authorization = authenticate(challenge);
      r = send(uri, accept, authorization);
      if (r.statusCode() == 401) {
        r.body().close();
        throw new RegistryException(
            ref.registry()
                + " refused "
                + (credentials.isPresent()
                    ? "the credentials of user " + credentials.get().username()
                    : "anonymous access; give credentials (flags, environment or Docker config)")
                + " for "
                + ref.repository(),
            401);
      }
    }
    for (int hops = 0; isRedirect(r.statusCode()); hops++) {
      r.body().close();
      if (hops == MAX_REDIRECTS) {
        throw new RegistryException(ref + ": more than " + MAX_REDIRECTS + " redirects", 0);
      }
      URI next = uri.resolve(r.headers().firstValue("Location").orElseThrow());
      boolean sameHost = next.getAuthority().equals(uri.getAuthority());
      r = send(next, accept, sameHost ? authorization : null);
      uri = next;
    }
    if (r.statusCode() != 200) {
      String body = new String(r.body().readNBytes(400), StandardCharsets.UTF_8);
      r.body().close();
      throw new RegistryException(
          ref.registry()
              + ": GET "
              + uri.getPath()
              + " answered "
              + r.statusCode()
              + (body.isBlank() ? "" : ": " + body.strip().replaceAll("\\s+", " ")),
          r.statusCode());
    }
    return r;
  }

  private HttpResponse<InputStream> send(URI uri, String accept, String auth) throws IOException {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(timeout).header("Accept", accept);
    if (auth != null) {
      b.header("Authorization", auth);
    }
    try {
      return http.send(b.GET().build(), HttpResponse.BodyHandlers.ofInputStream());
    } catch (ConnectException e) {
      throw new RegistryException(
          "cannot reach registry " + ref.registry() + " (" + uri.getScheme() + "): " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted while pulling " + ref);
    }
  }

  private String authenticate(String challenge) throws IOException {
    String scheme = challenge.split(" ", 2)[0];
    if (scheme.equalsIgnoreCase("Basic")) {
      return credentials
          .map(RegistryCredentials::basicHeader)
          .orElseThrow(
              () ->
                  new RegistryException(
                      ref.registry()
                          + " needs credentials for "
                          + ref.repository()
                          + "; give credentials (flags, environment or Docker config)",
                      401));
    }
    if (!scheme.equalsIgnoreCase("Bearer")) {
      throw new RegistryException(
          ref.registry() + " asks for an unknown authentication scheme '" + scheme + "'", 401);
    }
    Map<String, String> params = new LinkedHashMap<>();
    Matcher m = PARAM.matcher(challenge);
    while (m.find()) {
      params.put(m.group(1).toLowerCase(java.util.Locale.ROOT), m.group(2));
    }
    String realm = params.get("realm");
    if (realm == null || !(realm.startsWith("https://") || realm.startsWith("http://"))) {
      throw new RegistryException(ref.registry() + " gave a Bearer challenge without a realm", 401);
    }
    StringBuilder q = new StringBuilder(realm).append(realm.contains("?") ? '&' : '?');
    if (params.containsKey("service")) {
      q.append("service=").append(enc(params.get("service"))).append('&');
    }
    q.append("scope=")
        .append(enc(params.getOrDefault("scope", "repository:" + ref.repository() + ":pull")));
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(q.toString())).timeout(timeout);
    credentials.ifPresent(c -> b.header("Authorization", c.basicHeader()));
    HttpResponse<byte[]> r;
    try {
      r = http.send(b.GET().build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted while authenticating to " + ref);
    }
    if (r.statusCode() != 200) {
      throw new RegistryException(
          "the token service of "
              + ref.registry()
              + " answered "
              + r.statusCode()
              + (credentials.isPresent() ? " to user " + credentials.get().username() : ""),
          r.statusCode());
    }
    var tree = Manifests.readTree(r.body(), "token of " + ref.registry());
    String token = tree.path("token").asString(tree.path("access_token").asString(""));
    if (token.isEmpty()) {
      throw new RegistryException("the token service of " + ref.registry() + " gave no token", 401);
    }
    return "Bearer " + token;
  }

  private static boolean isRedirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
