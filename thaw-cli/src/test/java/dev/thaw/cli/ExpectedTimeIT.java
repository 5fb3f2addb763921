package dev.thaw.cli;

import static dev.thaw.cli.GatewayCommandsTest.thaw;
import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.image.ExampleImages;
import dev.thaw.qemu.GuestImage;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code thaw serve --nodes 2} as a new user runs it, with its default placement (by expected time)
 * and the project's Python image: an invocation sent the moment the first one answered (its boot
 * being snapshotted, and the clone of that snapshot verified) is served on the node that booted, by
 * that clone (or, should the clone take longer than a boot, by a restore of its snapshot), and no
 * second boot happens anywhere.
 */
class ExpectedTimeIT {
  private static final Pattern AGENT = Pattern.compile("(node-\\d+): +(http://\\S+)");

  @TempDir Path dir;

  @Test
  @Timeout(value = 6, unit = TimeUnit.MINUTES)
  void theSecondInvocationWaitsForTheFirstOnesCloneInsteadOfBootingAgain() throws Exception {
    secondInvocationAfterABoot(List.of());
  }

  /** Local snapshots: the clone is ready once verified, with no upload before it joins the pool. */
  @Test
  @Timeout(value = 6, unit = TimeUnit.MINUTES)
  void inLocalModeToo() throws Exception {
    secondInvocationAfterABoot(List.of("--mode", "local"));
  }

  private void secondInvocationAfterABoot(List<String> options) throws Exception {
    GuestImage.ensure(System.out::println);
    String image = ExampleImages.ensure(System.out::println).python().toString();
    Path data = dir.resolve("serve");
    ServeProcess serve = ServeProcess.start(dir, data, 2, options, Map.of());
    try {
      String at = serve.gateway();
      String token = data.resolve("token").toString();
      assertThat(Files.readString(serve.log())).contains("expected-time placement");
      GatewayCommandsTest.Run deployed =
          thaw("deploy", "py", "--image", image, "--gateway", at, "--token-file", token);
      assertThat(deployed.code()).as(deployed.err()).isZero();
      Map<String, URI> agents = agents(serve.log());
      assertThat(agents).hasSize(2);

      HttpClient http = HttpClient.newHttpClient();
      HttpResponse<String> first = invoke(http, at);
      long t0 = System.nanoTime();
      HttpResponse<String> second = invoke(http, at);
      long secondMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);

      String firstNode = first.headers().firstValue("X-Thaw-Node").orElseThrow();
      System.out.printf(
          "%s: first: %s %s on %s in %s ms; second: %s %s on %s, answered %d ms after it was sent%n",
          options.isEmpty() ? "remote (default)" : String.join(" ", options),
          first.headers().firstValue("X-Thaw-Start").orElse("?"),
          first.headers().firstValue("X-Thaw-Source").orElse("?"),
          firstNode,
          first.headers().firstValue("X-Thaw-Latency-Ms").orElse("?"),
          second.headers().firstValue("X-Thaw-Start").orElse("?"),
          second.headers().firstValue("X-Thaw-Source").orElse("?"),
          second.headers().firstValue("X-Thaw-Node").orElse("?"),
          secondMs);
      assertThat(first.statusCode()).isEqualTo(200);
      assertThat(first.headers().firstValue("X-Thaw-Start")).contains("cold");
      assertThat(first.headers().firstValue("X-Thaw-Source")).contains("none");
      assertThat(second.statusCode()).isEqualTo(200);
      assertThat(second.body()).isEqualTo("hello from python\n");
      // On the node that booted, by the clone of the first one's snapshot (warm) or, when that
      // clone took longer than a boot and its waiter gave up on it, by a restore of the snapshot
      // committed meanwhile; never by a boot.
      assertThat(second.headers().firstValue("X-Thaw-Node")).contains(firstNode);
      assertThat(second.headers().firstValue("X-Thaw-Source").orElse("warm")).isNotEqualTo("none");
      // One boot in the whole cluster.
      long boots = 0;
      for (Map.Entry<String, URI> a : agents.entrySet()) {
        String metrics =
            get(http, a.getValue().resolve("/metrics"), Files.readString(Path.of(token)));
        boots += coldStarts(metrics, "none");
      }
      assertThat(boots).as("boots on every node").isEqualTo(1);
    } finally {
      serve.stop();
    }
  }

  private static HttpResponse<String> invoke(HttpClient http, String gateway) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(gateway + "/py/")).timeout(Duration.ofMinutes(3)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static String get(HttpClient http, URI uri, String token) throws Exception {
    return http.send(
            HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + token.strip()).build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  /** {@code thaw_snapshot_cold_starts_total{source="…"}} in Prometheus text; 0 when absent. */
  private static long coldStarts(String metrics, String source) {
    Matcher m =
        Pattern.compile(
                "^thaw_snapshot_cold_starts_total\\{[^}]*source=\"" + source + "\"[^}]*\\} (\\S+)$",
                Pattern.MULTILINE)
            .matcher(metrics);
    return m.find() ? (long) Double.parseDouble(m.group(1)) : 0;
  }

  /** The agents {@code thaw serve} printed, by node name. */
  private static Map<String, URI> agents(Path log) throws Exception {
    Map<String, URI> out = new LinkedHashMap<>();
    Matcher m = AGENT.matcher(Files.readString(log));
    while (m.find()) {
      out.put(m.group(1), URI.create(m.group(2)));
    }
    return out;
  }
}
