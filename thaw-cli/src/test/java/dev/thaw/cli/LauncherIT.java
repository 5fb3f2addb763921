package dev.thaw.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.thaw.bench.cluster.LocalCluster;
import dev.thaw.core.snapshot.SnapshotMode;
import dev.thaw.http.BearerToken;
import dev.thaw.qemu.GuestImage;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;

/** The launcher starts a real microVM through a real agent's Unix socket and proxies to it. */
class LauncherIT {
  private static final BearerToken TOKEN = BearerToken.generate();

  @TempDir Path dir;

  /**
   * One agent in local mode; its keep-alive is longer than the test, so only a launcher's stop can
   * empty the node in time.
   */
  private LocalCluster oneNode() throws Exception {
    return LocalCluster.start(
        new LocalCluster.Config(
            1,
            dir,
            SnapshotMode.LOCAL,
            true,
            URI.create("http://127.0.0.1:9"),
            AwsBasicCredentials.create("unused", "unused"),
            Duration.ofSeconds(120),
            2,
            // The launcher talks to the agent over its socket, where no token is asked for.
            TOKEN));
  }

  /** A launcher of {@code revision} on the node's socket, on any free port of 127.0.0.1. */
  private LauncherCommand launcher(String revision) {
    LauncherCommand launcher = new LauncherCommand();
    launcher.socket = dir.resolve("node-1/agent.sock");
    launcher.revision = revision;
    launcher.host = "127.0.0.1";
    launcher.port = 0;
    return launcher;
  }

  @Test
  void proxiesInvocationsToAMicroVmStartedThroughTheAgentSocket() throws Exception {
    GuestImage.ensure(System.out::println);
    try (LocalCluster cluster = oneNode()) {
      LauncherCommand launcher = launcher("stateful");
      int port = launcher.start();
      try {
        HttpClient http = HttpClient.newHttpClient();
        URI uri = URI.create("http://127.0.0.1:" + port + "/");
        HttpResponse<String> first =
            http.send(
                HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(120)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(first.statusCode()).isEqualTo(200);
        // The launcher's start had the agent boot the VM (a health call, no invocation).
        assertThat(first.body()).contains("\"function\":\"stateful\"").contains("\"counter\":1");
        HttpResponse<String> verify =
            http.send(
                HttpRequest.newBuilder(uri.resolve("/verify"))
                    .timeout(Duration.ofSeconds(120))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(verify.body()).contains("\"intact\":true");
        // Snapshots and clones have settled: instances idle, none starting or being snapshotted.
        org.awaitility.Awaitility.await()
            .atMost(Duration.ofSeconds(180))
            .until(() -> settled(cluster));
      } finally {
        launcher.stop();
      }
      // The pod went away: its stop had the agent stop the idle instance, long before the
      // keep-alive would have.
      assertThat(instances(cluster)).isEqualTo("[]");
    }
  }

  @Test
  void deploysItsImageThroughTheAgentThenServesIt() throws Exception {
    GuestImage.ensure(System.out::println);
    Path python = dev.thaw.image.ExampleImages.ensure(System.out::println).python();
    try (LocalCluster cluster = oneNode()) {
      LauncherCommand refused = launcher("nothing");
      refused.image = dir.resolve("no-such-layout").toString();
      assertThatThrownBy(refused::start)
          .hasMessageContaining("could not deploy nothing")
          .hasMessageContaining("no-such-layout");

      LauncherCommand launcher = launcher("python-fn");
      launcher.image = python.toString();
      launcher.env = java.util.List.of("GREETING=hi");
      int port = launcher.start();
      try {
        HttpClient http = HttpClient.newHttpClient();
        URI uri = URI.create("http://127.0.0.1:" + port + "/");
        HttpResponse<String> hello =
            http.send(
                HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(120)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(hello.statusCode()).isEqualTo(200);
        assertThat(hello.body()).isEqualTo("hello from python\n");
        HttpResponse<String> wrote =
            http.send(
                HttpRequest.newBuilder(uri.resolve("/files/x?write=kept"))
                    .timeout(Duration.ofSeconds(120))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(wrote.body()).isEqualTo("kept");
      } finally {
        launcher.stop();
      }
    }
  }

  /** Some instance runs, none is busy, and the agent counts no other (starting) instance. */
  private static boolean settled(LocalCluster cluster) throws Exception {
    tools.jackson.databind.json.JsonMapper json =
        tools.jackson.databind.json.JsonMapper.builder().build();
    var instances = json.readTree(instances(cluster));
    var health =
        json.readTree(
            HttpClient.newHttpClient()
                .send(
                    HttpRequest.newBuilder(cluster.agents().get("node-1").resolve("/health"))
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .body());
    boolean idle = true;
    for (var i : instances) {
      idle &= !i.path("busy").asBoolean();
    }
    return instances.size() > 0
        && idle
        && health.path("activeInstances").asInt() == instances.size();
  }

  private static String instances(LocalCluster cluster) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(cluster.agents().get("node-1").resolve("/instances"))
                .header("Authorization", TOKEN.authorization())
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }
}
