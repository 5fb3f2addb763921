package dev.thaw.image;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A token service for the registry's token authentication, as Docker Hub and most registries run
 * one: it checks a user's Basic credentials and answers a JWT (RS256, its certificate in {@code
 * x5c}) granting the scope asked for, which the registry verifies against the certificate it was
 * configured with. The key and certificate are made by {@code openssl}. Listens on 127.0.0.1.
 */
final class TokenServer implements AutoCloseable {
  static final String SERVICE = "thaw-test-registry";
  static final String ISSUER = "thaw-test-issuer";

  private final HttpServer server;
  private final Path certificate;

  private TokenServer(HttpServer server, Path certificate) {
    this.server = server;
    this.certificate = certificate;
  }

  static TokenServer start(Path dir, RegistryCredentials user) throws Exception {
    Files.createDirectories(dir);
    Path key = dir.resolve("token.key");
    Path cert = dir.resolve("token.pem");
    Process p =
        new ProcessBuilder(
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                key.toString(),
                "-out",
                cert.toString(),
                "-days",
                "1",
                "-subj",
                "/CN=thaw-test")
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("openssl failed: " + out);
    }
    PrivateKey privateKey =
        KeyFactory.getInstance("RSA")
            .generatePrivate(new PKCS8EncodedKeySpec(pem(Files.readString(key))));
    X509Certificate x509;
    try (var in = Files.newInputStream(cert)) {
      x509 = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
    String x5c = Base64.getEncoder().encodeToString(x509.getEncoded());
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/token", exchange -> answer(exchange, user, privateKey, x5c));
    server.start();
    return new TokenServer(server, cert);
  }

  private static void answer(
      HttpExchange exchange, RegistryCredentials user, PrivateKey key, String x5c)
      throws IOException {
    try (exchange) {
      String auth = exchange.getRequestHeaders().getFirst("Authorization");
      if (auth == null || !auth.equals(user.basicHeader())) {
        exchange.sendResponseHeaders(401, -1);
        return;
      }
      String scope = "";
      String query = exchange.getRequestURI().getRawQuery();
      for (String kv : query == null ? new String[0] : query.split("&")) {
        if (kv.startsWith("scope=")) {
          scope = URLDecoder.decode(kv.substring(6), StandardCharsets.UTF_8);
        }
      }
      String access = "";
      String[] parts = scope.split(":");
      if (parts.length == 3) {
        List<String> actions = List.of(parts[2].split(","));
        access =
            "{\"type\":\""
                + parts[0]
                + "\",\"name\":\""
                + parts[1]
                + "\",\"actions\":["
                + String.join(",", actions.stream().map(a -> "\"" + a + "\"").toList())
                + "]}";
      }
      long now = System.currentTimeMillis() / 1000;
      String header = "{\"typ\":\"JWT\",\"alg\":\"RS256\",\"x5c\":[\"" + x5c + "\"]}";
      String claims =
          "{\"iss\":\""
              + ISSUER
              + "\",\"sub\":\""
              + user.username()
              + "\",\"aud\":\""
              + SERVICE
              + "\",\"exp\":"
              + (now + 300)
              + ",\"nbf\":"
              + (now - 30)
              + ",\"iat\":"
              + now
              + ",\"jti\":\""
              + UUID.randomUUID()
              + "\",\"access\":["
              + access
              + "]}";
      String signingInput =
          b64(header.getBytes(StandardCharsets.UTF_8))
              + "."
              + b64(claims.getBytes(StandardCharsets.UTF_8));
      Signature rs256 = Signature.getInstance("SHA256withRSA");
      rs256.initSign(key);
      rs256.update(signingInput.getBytes(StandardCharsets.US_ASCII));
      String jwt = signingInput + "." + b64(rs256.sign());
      byte[] body =
          ("{\"token\":\"" + jwt + "\",\"expires_in\":300}").getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
    } catch (java.security.GeneralSecurityException e) {
      throw new IOException(e);
    }
  }

  private static String b64(byte[] b) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  private static byte[] pem(String text) {
    return Base64.getMimeDecoder()
        .decode(text.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", ""));
  }

  /** The realm URL the registry sends clients to. */
  String realm() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/token";
  }

  /** The certificate the registry trusts tokens by. */
  Path certificate() {
    return certificate;
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
