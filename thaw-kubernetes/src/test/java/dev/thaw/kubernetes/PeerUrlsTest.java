package dev.thaw.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The agents' peer URLs through the API server (fabric8's mock in CRUD mode): each agent's
 * advertiser writes its {@code spec.peerUrl} beside its revisions, and the informer view tells
 * another agent which peers hold a revision.
 */
@EnableKubernetesMockClient(crud = true)
class PeerUrlsTest {
  KubernetesClient client;

  private NodeSnapshotCache object(String node) {
    return client.resources(NodeSnapshotCache.class).withName(node).get();
  }

  @Test
  void thePeerUrlIsWrittenWithTheRevisionsAndKeptByLaterWrites() throws Exception {
    try (KubernetesCacheAdvertiser ads = new KubernetesCacheAdvertiser(client, "node-a")) {
      ads.advertise(Set.of("r1"));
      await().atMost(Duration.ofSeconds(10)).until(() -> object("node-a") != null);
      assertThat(object("node-a").getSpec().getPeerUrl()).isNull();

      ads.peerUrl(URI.create("http://10.244.1.7:8701"));
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> "http://10.244.1.7:8701".equals(object("node-a").getSpec().getPeerUrl()));
      assertThat(object("node-a").getSpec().getSnapshots()).containsExactly("r1");

      ads.advertise(Set.of("r1", "r2"));
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> object("node-a").getSpec().getSnapshots().equals(List.of("r1", "r2")));
      assertThat(object("node-a").getSpec().getPeerUrl()).isEqualTo("http://10.244.1.7:8701");
    }
  }

  @Test
  void theViewNamesTheNodesThatHoldARevisionAndServePeers() throws Exception {
    try (KubernetesCacheAdvertiser a = new KubernetesCacheAdvertiser(client, "node-a");
        KubernetesCacheAdvertiser b = new KubernetesCacheAdvertiser(client, "node-b");
        KubernetesCacheAdvertiser c = new KubernetesCacheAdvertiser(client, "node-c");
        NodeSnapshotCaches caches = NodeSnapshotCaches.start(client)) {
      a.peerUrl(URI.create("http://10.244.1.7:8701"));
      a.advertise(Set.of("r1", "r2"));
      b.peerUrl(URI.create("http://10.244.2.9:8701"));
      b.advertise(Set.of("r2"));
      c.advertise(Set.of("r1")); // serves no peers: no URL
      client
          .resources(NodeSnapshotCache.class)
          .resource(bad("node-d", "file:///etc/passwd"))
          .create();

      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> caches.synced() && caches.apply("node-c").contains("r1"));
      await().atMost(Duration.ofSeconds(10)).until(() -> caches.peersHolding("r2").size() == 2);

      assertThat(caches.peersHolding("r2"))
          .isEqualTo(
              Map.of(
                  "node-a", URI.create("http://10.244.1.7:8701"),
                  "node-b", URI.create("http://10.244.2.9:8701")));
      assertThat(caches.peersHolding("r1"))
          .containsOnlyKeys("node-a")
          .as("no URL, or no http one: not a peer");
      assertThat(caches.peersHolding("r3")).isEmpty();
    }
  }

  private static NodeSnapshotCache bad(String node, String url) {
    NodeSnapshotCache c = new NodeSnapshotCache();
    c.setMetadata(new ObjectMetaBuilder().withName(node).build());
    c.setSpec(new NodeSnapshotCache.Spec());
    c.getSpec().setNodeName(node);
    c.getSpec().setSnapshots(List.of("r1"));
    c.getSpec().setPeerUrl(url);
    return c;
  }
}
