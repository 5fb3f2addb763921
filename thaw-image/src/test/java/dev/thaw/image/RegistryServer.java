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
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Debian's {@code docker-registry} (the CNCF distribution registry) on 127.0.0.1 and a free port,
 * storing in a directory of the test's own; with {@code user} it asks for Basic credentials
 * (htpasswd, bcrypt by Apache's {@code htpasswd}). Closing stops it.
 */
final class RegistryServer implements AutoCloseable {
  private final Process process;
  private final int port;
  private final Path storage;
  private final Path log;

  private RegistryServer(Process process, int port, Path storage, Path log) {
    this.process = process;
    this.port = port;
    this.storage = storage;
    this.log = log;
  }

  static RegistryServer start(Path dir, Optional<RegistryCredentials> user) throws Exception {
    return start(dir, user, Optional.empty());
  }

  /** A registry that asks for tokens of {@code tokens} (token authentication, Bearer). */
  static RegistryServer withTokens(Path dir, TokenServer tokens) throws Exception {
    return start(dir, Optional.empty(), Optional.of(tokens));
  }

  private static RegistryServer start(
      Path dir, Optional<RegistryCredentials> user, Optional<TokenServer> tokens) throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    Path storage = Files.createDirectories(dir.resolve("storage"));
    StringBuilder yaml =
        new StringBuilder()
            .append("version: 0.1\n")
            .append("log:\n  level: warn\n  accesslog:\n    disabled: true\n")
            .append("storage:\n  filesystem:\n    rootdirectory: ")
            .append(storage)
            .append("\n  cache:\n    blobdescriptor: inmemory\n")
            .append("http:\n  addr: 127.0.0.1:")
            .append(port)
            .append("\n");
    if (user.isPresent()) {
      Path htpasswd = dir.resolve("htpasswd");
      Process h =
          new ProcessBuilder("htpasswd", "-Bbn", user.get().username(), user.get().password())
              .redirectOutput(htpasswd.toFile())
              .start();
      if (!h.waitFor(30, TimeUnit.SECONDS) || h.exitValue() != 0) {
        throw new IOException("htpasswd failed");
      }
      yaml.append("auth:\n  htpasswd:\n    realm: thaw\n    path: ").append(htpasswd).append("\n");
    }
    if (tokens.isPresent()) {
      yaml.append("auth:\n  token:\n    realm: ")
          .append(tokens.get().realm())
          .append("\n    service: ")
          .append(TokenServer.SERVICE)
          .append("\n    issuer: ")
          .append(TokenServer.ISSUER)
          .append("\n    rootcertbundle: ")
          .append(tokens.get().certificate())
          .append("\n");
    }
    Path config = Files.writeString(dir.resolve("registry.yml"), yaml);
    Path log = dir.resolve("registry.log");
    Process p =
        new ProcessBuilder("docker-registry", "serve", config.toString())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    RegistryServer server = new RegistryServer(p, port, storage, log);
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
                            HttpRequest.newBuilder(URI.create(server.url() + "/v2/")).build(),
                            HttpResponse.BodyHandlers.discarding())
                        .statusCode();
                return status == 200 || status == 401;
              });
    } catch (RuntimeException e) {
      server.close();
      throw e;
    }
    return server;
  }

  /** {@code 127.0.0.1:PORT}, as image references name it. */
  String host() {
    return "127.0.0.1:" + port;
  }

  String url() {
    return "http://" + host();
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
