package dev.thaw.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.core.snapshot.SnapshotMode;
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
  @TempDir Path dir;

  @Test
  void proxiesInvocationsToAMicroVmStartedThroughTheAgentSocket() throws Exception {
    GuestImage.ensure(GuestImage.defaultCacheRoot(), System.out::println);
    try (LocalCluster cluster =
        LocalCluster.start(
            new LocalCluster.Config(
                1,
                dir,
                SnapshotMode.LOCAL,
                true,
                URI.create("http://127.0.0.1:9"),
                AwsBasicCredentials.create("unused", "unused"),
                Duration.ofSeconds(5),
                2))) {
      LauncherCommand launcher = new LauncherCommand();
      launcher.socket = dir.resolve("node-1/agent.sock");
      launcher.revision = "stateful";
      launcher.host = "127.0.0.1";
      launcher.port = 0;
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
      } finally {
        launcher.stop();
      }
      // The pod went away: the agent runs no instance of the revision any more.
      // A clone still being restored when the launcher left is reaped by the keep-alive (5 s).
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () ->
                  HttpClient.newHttpClient()
                      .send(
                          HttpRequest.newBuilder(
                                  cluster.agents().get("node-1").resolve("/instances"))
                              .build(),
                          HttpResponse.BodyHandlers.ofString())
                      .body()
                      .equals("[]"));
    }
  }
}
