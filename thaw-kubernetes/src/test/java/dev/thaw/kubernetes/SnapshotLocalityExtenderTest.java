package dev.thaw.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The extender over HTTP, reading NodeSnapshotCache objects through an informer. */
@EnableKubernetesMockClient(crud = true)
class SnapshotLocalityExtenderTest {
  KubernetesClient client;

  /** As kube-scheduler sends it with nodeCacheCapable: true — Nodes null, an unknown field. */
  private static final String NODE_NAMES =
      """
      {"Pod":{"metadata":{"name":"hello-00001-deployment-x","namespace":"default",
        "labels":{"serving.knative.dev/revision":"hello-00001"},"annotations":null},
        "spec":{"containers":[]},"status":{}},
       "Nodes":null,
       "NodeNames":["node-a","node-b","node-c"],
       "SomethingNew":{"x":1}}
      """;

  /** The full form: Nodes with items, NodeNames null, revision in a Thaw annotation. */
  private static final String NODES =
      """
      {"Pod":{"metadata":{"name":"p","annotations":{"thaw.dev/revision":"resize-00001"}}},
       "Nodes":{"metadata":{},"items":[{"metadata":{"name":"node-a"},"status":{}},
                                        {"metadata":{"name":"node-b"}}]},
       "NodeNames":null}
      """;

  @Test
  void scoresNodesFromInformerStateInBothWireForms() throws Exception {
    try (KubernetesCacheAdvertiser a = new KubernetesCacheAdvertiser(client, "node-a");
        KubernetesCacheAdvertiser b = new KubernetesCacheAdvertiser(client, "node-b");
        NodeSnapshotCaches caches = NodeSnapshotCaches.start(client);
        ExtenderServer server =
            ExtenderServer.builder(new SnapshotLocalityExtender(caches), caches).start()) {
      a.advertise(Set.of("hello-00001"));
      b.advertise(Set.of("resize-00001", "other"));
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> caches.apply("node-b").contains("resize-00001"));
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> caches.apply("node-a").contains("hello-00001"));
      assertThat(get(server.uri().resolve("/readyz")).statusCode()).isEqualTo(200);

      HttpResponse<String> names = post(server.uri().resolve("/prioritize"), NODE_NAMES);
      assertThat(names.statusCode()).isEqualTo(200);
      assertThat(names.body())
          .isEqualTo(
              "[{\"Host\":\"node-a\",\"Score\":10},{\"Host\":\"node-b\",\"Score\":0},"
                  + "{\"Host\":\"node-c\",\"Score\":0}]");

      HttpResponse<String> nodes = post(server.uri().resolve("/prioritize"), NODES);
      assertThat(nodes.body())
          .contains("{\"Host\":\"node-b\",\"Score\":10}")
          .contains("{\"Host\":\"node-a\",\"Score\":0}");
    }
  }

  @Test
  void podsWithoutARevisionGetAnEmptyListAtOnce() {
    SnapshotLocalityExtender extender = new SnapshotLocalityExtender(node -> Set.of("x"));
    assertThat(
            extender.prioritize("{\"Pod\":{\"metadata\":{\"labels\":{}}},\"NodeNames\":[\"n\"]}"))
        .isEqualTo("[]");
    assertThat(extender.prioritize("{\"Pod\":null,\"NodeNames\":[\"n\"]}")).isEqualTo("[]");
  }

  @Test
  void scoresStayWithinTheExtenderRange() {
    SnapshotLocalityExtender extender = new SnapshotLocalityExtender(node -> Set.of("r"));
    String body =
        extender.prioritize(
            "{\"Pod\":{\"metadata\":{\"labels\":{\"serving.knative.dev/revision\":\"r\"}}},"
                + "\"NodeNames\":[\"a\",\"b\"]}");
    assertThat(body).isEqualTo("[{\"Host\":\"a\",\"Score\":10},{\"Host\":\"b\",\"Score\":10}]");
  }

  private static HttpResponse<String> post(URI uri, String body) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
            HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> get(URI uri) throws Exception {
    return HttpClient.newHttpClient()
        .send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
  }
}
