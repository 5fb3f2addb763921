package dev.thaw.image;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * Credentials from a Docker client config ({@code ~/.docker/config.json}, or {@code
 * $DOCKER_CONFIG/config.json}): its {@code auths} object, keyed by registry as {@code docker login}
 * writes it ({@code host:port}, {@code https://host/v1/}, and {@code https://index.docker.io/v1/}
 * for Docker Hub), each with {@code auth} (base64 of {@code user:password}) or {@code username} and
 * {@code password}. Credential helpers ({@code credsStore}, {@code credHelpers}) are not run.
 */
public final class DockerConfigCredentials {
  private DockerConfigCredentials() {}

  /** The config file the Docker client reads for this environment. */
  public static Path defaultFile(Map<String, String> env) {
    String dir = env.get("DOCKER_CONFIG");
    if (dir != null && !dir.isBlank()) {
      return Path.of(dir, "config.json");
    }
    return Path.of(System.getProperty("user.home"), ".docker", "config.json");
  }

  /**
   * The credentials {@code file} holds for {@code registry} (as {@link ImageReference#registry()}
   * names it), or empty when it has none or the file does not exist.
   *
   * @throws IOException when the file exists but cannot be read or is not a config
   */
  public static Optional<RegistryCredentials> lookup(Path file, String registry)
      throws IOException {
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    JsonNode auths;
    try {
      auths = Manifests.JSON.readTree(Files.readAllBytes(file)).path("auths");
    } catch (JacksonException e) {
      throw new IOException(file + " is not a Docker config: " + e.getOriginalMessage());
    }
    for (String key : keys(registry)) {
      JsonNode entry = auths.path(key);
      if (entry.isObject()) {
        return fromEntry(entry, file, registry);
      }
    }
    return Optional.empty();
  }

  private static List<String> keys(String registry) {
    if (registry.equals(ImageReference.DOCKER_HUB)) {
      return List.of(
          "https://index.docker.io/v1/",
          "index.docker.io",
          "docker.io",
          "registry-1.docker.io",
          "https://registry-1.docker.io");
    }
    return List.of(
        registry,
        "https://" + registry,
        "http://" + registry,
        "https://" + registry + "/v1/",
        "https://" + registry + "/v2/");
  }

  private static Optional<RegistryCredentials> fromEntry(JsonNode entry, Path file, String registry)
      throws IOException {
    String auth = entry.path("auth").asString("");
    if (!auth.isEmpty()) {
      String decoded;
      try {
        decoded = new String(Base64.getDecoder().decode(auth), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw new IOException(file + ": the auth of " + registry + " is not base64");
      }
      int colon = decoded.indexOf(':');
      if (colon <= 0) {
        throw new IOException(file + ": the auth of " + registry + " is not user:password");
      }
      return Optional.of(
          new RegistryCredentials(decoded.substring(0, colon), decoded.substring(colon + 1)));
    }
    String user = entry.path("username").asString("");
    String password = entry.path("password").asString("");
    if (!user.isEmpty()) {
      return Optional.of(new RegistryCredentials(user, password));
    }
    return Optional.empty();
  }
}
