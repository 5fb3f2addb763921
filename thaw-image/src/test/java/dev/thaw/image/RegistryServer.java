package dev.thaw.image;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Debian's {@code docker-registry} (the CNCF distribution registry) on 127.0.0.1 and a free port,
 * storing in a directory of the test's own. Optionally it asks for Basic credentials (htpasswd,
 * bcrypt by Apache's {@code htpasswd}), for tokens of a {@link TokenServer}, or serves HTTPS only
 * with a certificate made by {@code openssl}. Closing stops it.
 */
public final class RegistryServer implements AutoCloseable {
  private final Process process;
  private final int port;
  private final Path storage;
  private final Optional<Path> certificate;

  private RegistryServer(Process process, int port, Path storage, Optional<Path> certificate) {
    this.process = process;
    this.port = port;
    this.storage = storage;
    this.certificate = certificate;
  }

  /** A registry asking for {@code user}'s Basic credentials, or for none. */
  public static RegistryServer start(Path dir, Optional<RegistryCredentials> user)
      throws Exception {
    String auth = "";
    if (user.isPresent()) {
      Path htpasswd = dir.resolve("htpasswd");
      Files.createDirectories(dir);
      Process h =
          new ProcessBuilder("htpasswd", "-Bbn", user.get().username(), user.get().password())
              .redirectOutput(htpasswd.toFile())
              .start();
      if (!h.waitFor(30, TimeUnit.SECONDS) || h.exitValue() != 0) {
        throw new IOException("htpasswd failed");
      }
      auth = "auth:\n  htpasswd:\n    realm: thaw\n    path: " + htpasswd + "\n";
    }
    return start(dir, auth, "", Optional.empty());
  }

  /** A registry that asks for tokens of {@code tokens} (token authentication, Bearer). */
  static RegistryServer withTokens(Path dir, TokenServer tokens) throws Exception {
    String auth =
        "auth:\n  token:\n    realm: "
            + tokens.realm()
            + "\n    service: "
            + TokenServer.SERVICE
            + "\n    issuer: "
            + TokenServer.ISSUER
            + "\n    rootcertbundle: "
            + tokens.certificate()
            + "\n";
    return start(dir, auth, "", Optional.empty());
  }

  /** A registry serving HTTPS only; {@link #certificate()} is the PEM a client trusts it by. */
  static RegistryServer withTls(Path dir) throws Exception {
    Files.createDirectories(dir);
    Path key = dir.resolve("tls.key");
    Path cert = dir.resolve("tls.pem");
    Filesystems.run(
        List.of(
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
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1"));
    String tls = "  tls:\n    certificate: " + cert + "\n    key: " + key + "\n";
    return start(dir, "", tls, Optional.of(cert));
  }

  private static RegistryServer start(Path dir, String auth, String tls, Optional<Path> certificate)
      throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    Path storage = Files.createDirectories(dir.resolve("storage"));
    String yaml =
        "version: 0.1\n"
            + "log:\n  level: warn\n  accesslog:\n    disabled: true\n"
            + "storage:\n  filesystem:\n    rootdirectory: "
            + storage
            + "\n  cache:\n    blobdescriptor: inmemory\n"
            + "http:\n  addr: 127.0.0.1:"
            + port
            + "\n"
            + tls
            + auth;
    Path config = Files.writeString(dir.resolve("registry.yml"), yaml);
    Path log = dir.resolve("registry.log");
    Process p =
        new ProcessBuilder("docker-registry", "serve", config.toString())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    RegistryServer server = new RegistryServer(p, port, storage, certificate);
    try {
      HttpClient http = HttpClient.newHttpClient();
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(100))
          .ignoreExceptions()
          .until(
              () -> {
                if (!p.isAlive()) {
                  throw new IllegalStateException("registry exited: " + Files.readString(log));
                }
                int status =
                    http.send(
                            HttpRequest.newBuilder(URI.create("http://" + server.host() + "/v2/"))
                                .build(),
                            HttpResponse.BodyHandlers.discarding())
                        .statusCode();
                // A TLS-only server answers this plain request with 400: it is up.
                return status == 200 || status == 401 || (!tls.isEmpty() && status == 400);
              });
    } catch (RuntimeException e) {
      server.close();
      throw e;
    }
    return server;
  }

  /** {@code 127.0.0.1:PORT}, as image references name it. */
  public String host() {
    return "127.0.0.1:" + port;
  }

  /** The registry's URL (plain HTTP; not for one started with TLS). */
  public String url() {
    return "http://" + host();
  }

  /** The PEM certificate of a registry started {@link #withTls with TLS}. */
  Path certificate() {
    return certificate.orElseThrow();
  }

  /** The file the registry stores a blob's bytes in. */
  Path blobData(String digest) {
    String hex = digest.substring("sha256:".length());
    return storage.resolve(
        "docker/registry/v2/blobs/sha256/" + hex.substring(0, 2) + "/" + hex + "/data");
  }

  @Override
  public void close() throws Exception {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }
}
