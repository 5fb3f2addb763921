package dev.thaw.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/** {@code thaw extender} with no Kubernetes API server that answers. */
class ExtenderCommandTest {
  @Test
  @Timeout(60)
  void servesHealthAtOnceWhileTheApiServerNeverAnswers() throws Exception {
    CommandLine.ParseResult parsed =
        Thaw.commandLine()
            .parseArgs("extender", "--host", "127.0.0.1", "--port", "0", "--read-timeout", "2s");
    ExtenderCommand command = (ExtenderCommand) parsed.subcommand().commandSpec().userObject();
    assertThat(command.readTimeout).isEqualTo(Duration.ofSeconds(2));
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    // The API server takes connections and answers none: a start that waited for it would wait
    // here until the test's own timeout.
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        ExtenderCommand.Running running =
            command.start(
                new KubernetesClientBuilder()
                    .withConfig(
                        new ConfigBuilder()
                            .withMasterUrl("http://127.0.0.1:" + silent.getLocalPort())
                            .build())
                    .build())) {
      HttpResponse<String> health =
          http.send(
              HttpRequest.newBuilder(running.uri().resolve("/healthz"))
                  .timeout(Duration.ofSeconds(2))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(health.statusCode()).isEqualTo(200);
      HttpResponse<String> ready =
          http.send(
              HttpRequest.newBuilder(running.uri().resolve("/readyz"))
                  .timeout(Duration.ofSeconds(2))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(ready.statusCode()).isEqualTo(503);
      assertThat(ready.body())
          .contains("NodeSnapshotCache")
          .contains("127.0.0.1:" + silent.getLocalPort());
    }
  }

  @Test
  void aReadTimeoutThatIsNotPositiveIsAUsageError() {
    assertThat(Thaw.commandLine().execute("extender", "--read-timeout", "0s")).isEqualTo(2);
  }
}
