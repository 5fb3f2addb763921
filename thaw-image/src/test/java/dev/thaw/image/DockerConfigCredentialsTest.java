package dev.thaw.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DockerConfigCredentialsTest {
  @TempDir Path dir;

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void authsAreFoundUnderEveryKeyDockerLoginWrites() throws Exception {
    Path config = dir.resolve("config.json");
    Files.writeString(
        config,
        "{\"auths\":{"
            + "\"https://index.docker.io/v1/\":{\"auth\":\""
            + b64("hub:pw:with:colons")
            + "\"},"
            + "\"localhost:5000\":{\"auth\":\""
            + b64("local:secret")
            + "\"},"
            + "\"https://ghcr.io\":{\"username\":\"gh\",\"password\":\"token\"}"
            + "},\"credsStore\":\"desktop\"}");

    assertThat(DockerConfigCredentials.lookup(config, "docker.io"))
        .contains(new RegistryCredentials("hub", "pw:with:colons"));
    assertThat(DockerConfigCredentials.lookup(config, "localhost:5000"))
        .contains(new RegistryCredentials("local", "secret"));
    assertThat(DockerConfigCredentials.lookup(config, "ghcr.io"))
        .contains(new RegistryCredentials("gh", "token"));
    assertThat(DockerConfigCredentials.lookup(config, "quay.io")).isEmpty();
    assertThat(DockerConfigCredentials.lookup(dir.resolve("none.json"), "docker.io")).isEmpty();
  }

  @Test
  void credentialsNeverPrintTheirPassword() {
    assertThat(new RegistryCredentials("u", "hunter2").toString())
        .contains("u")
        .doesNotContain("hunter2");
  }

  @Test
  void theEnvironmentPointsAtTheConfigAndGivesCredentials() {
    assertThat(DockerConfigCredentials.defaultFile(Map.of("DOCKER_CONFIG", "/etc/d")))
        .isEqualTo(Path.of("/etc/d/config.json"));
    var r =
        ImageSources.Registries.fromEnvironment(
            Map.of("THAW_REGISTRY_USERNAME", "ci", "THAW_REGISTRY_PASSWORD", "pw"));
    assertThat(r.credentials()).contains(new RegistryCredentials("ci", "pw"));
    assertThat(r.mayFallBackToHttp("127.0.0.1:5000")).isTrue();
    assertThat(r.mayFallBackToHttp("localhost")).isTrue();
    assertThat(r.mayFallBackToHttp("registry.example:5000")).isFalse();
  }
}
