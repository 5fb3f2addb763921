package dev.thaw.cli;

import static dev.thaw.cli.GatewayCommandsTest.thaw;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.thaw.image.ExampleImages;
import dev.thaw.qemu.GuestImage;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code thaw logs} against a real {@code thaw serve} of two nodes: a function's lines from both
 * nodes after its instances are gone, and a function flooding its output held within the node's cap
 * while the platform keeps serving.
 */
class LogsIT {
  @TempDir Path dir;
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  @Timeout(value = 8, unit = TimeUnit.MINUTES)
  void logsFromTwoNodesOutliveTheirInstancesAndAFloodStaysWithinTheCap() throws Exception {
    GuestImage.ensure(System.out::println);
    String image = ExampleImages.ensure(System.out::println).python().toString();
    Path data = dir.resolve("serve");
    ServeProcess serve =
        ServeProcess.start(
            dir,
            data,
            2,
            List.of("--max-instances", "1"),
            Map.of("THAW_LOG_BYTES", "1MiB", "THAW_LOG_RATE", "256KiB"));
    String at = serve.gateway();
    String token = data.resolve("token").toString();
    try {
      assertThat(
              thaw("deploy", "py", "--image", image, "--gateway", at, "--token-file", token).code())
          .isZero();
      // One instance per node at most: two invocations at once run on both nodes.
      CompletableFuture<HttpResponse<String>> a = get(at + "/py/log?text=first-call&ms=4000");
      CompletableFuture<HttpResponse<String>> b = get(at + "/py/log?text=second-call&ms=4000");
      assertThat(a.get(5, TimeUnit.MINUTES).body()).isEqualTo("logged\n");
      assertThat(b.get(5, TimeUnit.MINUTES).body()).isEqualTo("logged\n");
      assertThat(get(at + "/py/log?text=to-stderr&stream=stderr").get().statusCode())
          .isEqualTo(200);

      // Past the keep-alive every instance is gone; their lines stay.
      await().atMost(Duration.ofSeconds(90)).until(() -> instances(at).isEmpty());
      GatewayCommandsTest.Run logs = thaw("logs", "py", "--gateway", at, "--token-file", token);
      assertThat(logs.code()).as(logs.err()).isZero();
      List<String> lines = logs.text().lines().toList();
      assertThat(lines)
          .filteredOn(l -> l.endsWith(" stdout python function listening on :8080"))
          .extracting(l -> l.split(" ")[1])
          .contains("node-1", "node-2");
      assertThat(lines).anyMatch(l -> l.endsWith(" stdout first-call"));
      assertThat(lines).anyMatch(l -> l.endsWith(" stdout second-call"));
      assertThat(lines).anyMatch(l -> l.endsWith(" stderr to-stderr"));
      assertThat(thaw("logs", "py", "--tail", "1", "--gateway", at, "--token-file", token).text())
          .hasLineCount(1);
      assertThat(thaw("logs", "nothing", "--gateway", at, "--token-file", token).err())
          .contains("no node runs nothing");

      // 100 MB of output at 256 KiB/s: the function waits in its writes, the node keeps 1 MiB.
      // The instance floods for the 15 s it takes to answer.
      CompletableFuture<HttpResponse<String>> flood = get(at + "/py/flood?mb=100&ms=15000");
      // While it floods (its first lines have arrived), another invocation is still served.
      await()
          .atMost(Duration.ofMinutes(3))
          .until(
              () ->
                  thaw("logs", "py", "--tail", "5", "--gateway", at, "--token-file", token)
                      .text()
                      .contains(" stdout flood "));
      assertThat(get(at + "/py/log?text=still-serving").get().statusCode()).isEqualTo(200);
      assertThat(flood.get(2, TimeUnit.MINUTES).body()).isEqualTo("flooding\n");
      long kept = logBytes(data);
      assertThat(kept).isLessThanOrEqualTo(1 << 20).isGreaterThan(256 << 10);
      assertThat(thaw("logs", "py", "--tail", "20", "--gateway", at, "--token-file", token).text())
          .contains(" stdout flood ");
    } finally {
      serve.stop();
    }
  }

  private CompletableFuture<HttpResponse<String>> get(String uri) {
    return http.sendAsync(
        HttpRequest.newBuilder(URI.create(uri)).timeout(Duration.ofMinutes(5)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** Warm instances of every function, from {@code thaw functions}. */
  private String instances(String at) {
    String text =
        thaw("functions", "--gateway", at, "--token-file", dir.resolve("serve/token").toString())
            .text();
    return text.lines()
        .filter(l -> l.startsWith("py "))
        .map(l -> l.split("\\s+")[2])
        .filter(w -> !w.equals("0"))
        .findFirst()
        .orElse("");
  }

  /** Bytes of the logs every node keeps of {@code py}. */
  private static long logBytes(Path data) throws Exception {
    try (Stream<Path> files = Files.walk(data)) {
      return files
          .filter(p -> p.toString().contains("/logs/"))
          .filter(p -> p.getParent().getFileName().toString().equals("py"))
          .filter(Files::isRegularFile)
          .mapToLong(p -> p.toFile().length())
          .sum();
    }
  }
}
