package dev.thaw.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The extender serves from the start, whether or not the Kubernetes API server can be reached:
 * alive at once, ready once its informer has synced, and no scores before.
 */
class ExtenderStartupTest {
  private static final String PRIORITIZE =
      "{\"Pod\":{\"metadata\":{\"labels\":{\"serving.knative.dev/revision\":\"hello-00001\"}}},"
          + "\"NodeNames\":[\"node-a\",\"node-b\"]}";

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private static Config config(String url) {
    return new ConfigBuilder()
        .withMasterUrl(url)
        .withRequestRetryBackoffLimit(0)
        .withWatchReconnectInterval(200)
        .build();
  }

  @Test
  @Timeout(60)
  void withAnApiServerThatNeverAnswersItIsAliveAtOnceButNotReady() throws Exception {
    // The API server takes connections and answers none: a start that waited for its first list
    // would wait here until the test's own timeout.
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        KubernetesClient client =
            new KubernetesClientBuilder()
                .withConfig(config("http://127.0.0.1:" + silent.getLocalPort()))
                .build();
        NodeSnapshotCaches caches = NodeSnapshotCaches.start(client);
        ExtenderServer server =
            ExtenderServer.builder(new SnapshotLocalityExtender(caches), caches).start()) {
      assertThat(get(server.uri().resolve("/healthz")).statusCode()).isEqualTo(200);
      HttpResponse<String> ready = get(server.uri().resolve("/readyz"));
      assertThat(ready.statusCode()).isEqualTo(503);
      assertThat(ready.body())
          .contains("NodeSnapshotCache objects not yet listed from")
          .contains("127.0.0.1:" + silent.getLocalPort());
      assertThat(post(server.uri().resolve("/prioritize"), PRIORITIZE).statusCode()).isEqualTo(503);
    }
  }

  @Test
  void withTheApiServerUnreachableItIsAliveButNotReady() throws Exception {
    try (KubernetesClient down =
            new KubernetesClientBuilder().withConfig(config("http://127.0.0.1:1")).build();
        NodeSnapshotCaches caches = NodeSnapshotCaches.start(down);
        ExtenderServer server =
            ExtenderServer.builder(new SnapshotLocalityExtender(caches), caches).start()) {
      assertThat(get(server.uri().resolve("/healthz")).statusCode()).isEqualTo(200);

      // The informer keeps failing (and retrying): the reason names the API server and the cause.
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> get(server.uri().resolve("/readyz")).body().contains("Connection refused"));
      HttpResponse<String> ready = get(server.uri().resolve("/readyz"));
      assertThat(ready.statusCode()).isEqualTo(503);
      assertThat(ready.body())
          .startsWith("{\"ready\":false,\"reason\":\"cannot list NodeSnapshotCache objects from")
          .contains("127.0.0.1:1");
      HttpResponse<String> scores = post(server.uri().resolve("/prioritize"), PRIORITIZE);
      assertThat(scores.statusCode()).isEqualTo(503);
      assertThat(scores.body()).startsWith("{\"error\":\"extender not ready: cannot list");

      Thread.sleep(1000);
      assertThat(get(server.uri().resolve("/healthz")).statusCode()).isEqualTo(200);
      assertThat(get(server.uri().resolve("/readyz")).statusCode()).isEqualTo(503);
    }
  }

  @Test
  void anApiServerThatComesUpLaterMakesItReady() throws Exception {
    int port;
    try (ServerSocket probe = new ServerSocket(0)) {
      port = probe.getLocalPort();
    }
    try (KubernetesClient client =
            new KubernetesClientBuilder().withConfig(config("http://127.0.0.1:" + port)).build();
        NodeSnapshotCaches caches = NodeSnapshotCaches.start(client);
        ExtenderServer server =
            ExtenderServer.builder(new SnapshotLocalityExtender(caches), caches).start()) {
      assertThat(get(server.uri().resolve("/readyz")).statusCode()).isEqualTo(503);
      assertThat(post(server.uri().resolve("/prioritize"), PRIORITIZE).statusCode()).isEqualTo(503);
      Thread.sleep(500);

      KubernetesMockServer api =
          new KubernetesMockServer(
              new Context(),
              new MockWebServer(),
              new HashMap<>(),
              new KubernetesCrudDispatcher(),
              false);
      api.init(InetAddress.getByName("127.0.0.1"), port);
      try (KubernetesCacheAdvertiser a = new KubernetesCacheAdvertiser(client, "node-a")) {
        a.advertise(Set.of("hello-00001"));
        await()
            .atMost(Duration.ofSeconds(20))
            .until(() -> get(server.uri().resolve("/readyz")).statusCode() == 200);
        assertThat(get(server.uri().resolve("/readyz")).body()).isEqualTo("{\"ready\":true}");
        await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> caches.apply("node-a").contains("hello-00001"));
        HttpResponse<String> scores = post(server.uri().resolve("/prioritize"), PRIORITIZE);
        assertThat(scores.statusCode()).isEqualTo(200);
        assertThat(scores.body())
            .isEqualTo("[{\"Host\":\"node-a\",\"Score\":10},{\"Host\":\"node-b\",\"Score\":0}]");
      } finally {
        api.destroy();
      }
    }
  }

  private HttpResponse<String> get(URI uri) throws Exception {
    return http.send(
        HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(3)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(URI uri, String body) throws Exception {
    return http.send(
        HttpRequest.newBuilder(uri)
            .timeout(Duration.ofSeconds(3))
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
