package dev.thaw.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.thaw.core.function.Revision;
import dev.thaw.kubernetes.KubernetesCacheAdvertiser;
import dev.thaw.kubernetes.NodeSnapshotCaches;
import dev.thaw.node.peer.PeerDirectory;
import dev.thaw.node.peer.PeerEndpoint;
import dev.thaw.node.snapshot.fill.PeerReads;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * An agent on Kubernetes finds its peers in the other agents' {@code NodeSnapshotCache} objects
 * (fabric8's mock API server in CRUD mode): the nodes that hold a revision and serve peers, never
 * itself; and its remote restores ask them only with a peer token.
 */
@EnableKubernetesMockClient(crud = true)
class KubernetesPeersTest {
  KubernetesClient client;

  @Test
  void anAgentsPeersAreTheOtherNodesHoldingTheRevisionWithAPeerUrl() throws Exception {
    try (KubernetesCacheAdvertiser a = new KubernetesCacheAdvertiser(client, "node-a");
        KubernetesCacheAdvertiser b = new KubernetesCacheAdvertiser(client, "node-b");
        KubernetesCacheAdvertiser c = new KubernetesCacheAdvertiser(client, "node-c");
        NodeSnapshotCaches caches = NodeSnapshotCaches.start(client)) {
      a.peerUrl(URI.create("http://10.244.1.7:8701"));
      a.advertise(Set.of("hello"));
      b.peerUrl(URI.create("http://10.244.2.9:8701"));
      b.advertise(Set.of("hello", "echo"));
      c.advertise(Set.of("hello")); // no peer edge
      KubernetesPeerDirectory asA = KubernetesPeerDirectory.of("node-a", caches);

      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> caches.synced() && caches.peersHolding("hello").size() == 2);

      assertThat(asA.holding(Revision.of("hello")))
          .containsExactly(new PeerEndpoint("node-b", URI.create("http://10.244.2.9:8701")));
      assertThat(asA.holding(Revision.of("echo"))).hasSize(1);
      assertThat(asA.holding(Revision.of("other"))).isEmpty();
      assertThat(KubernetesPeerDirectory.of("node-b", caches).holding(Revision.of("echo")))
          .as("never itself")
          .isEmpty();
    }
  }

  @Test
  void theDiscoveredPeersAreAskedOnlyWithAPeerTokenAndWithoutPeerFlags() throws Exception {
    PeerDirectory one =
        revision -> java.util.List.of(new PeerEndpoint("node-b", URI.create("http://127.0.0.1:1")));
    AtomicInteger asked = new AtomicInteger();

    PeerOptions without = new PeerOptions();
    without.env = Map.of();
    PeerReads none =
        without.reads(
            () -> {
              asked.incrementAndGet();
              return Optional.of(one);
            });
    assertThat(none.askStart("hello", 1 << 20)).isEmpty();
    assertThat(asked).as("no token: no informer either").hasValue(0);

    PeerOptions with = new PeerOptions();
    with.env = Map.of("THAW_PEER_TOKEN", "ab".repeat(32));
    PeerReads reads =
        with.reads(
            () -> {
              asked.incrementAndGet();
              return Optional.of(one);
            });
    assertThat(asked).hasValue(1);
    // Port 1 on loopback refuses at once: the start is asked and falls back to storage.
    assertThat(reads.askStart("hello", 1 << 20).orElseThrow().get()).isEmpty();
  }
}
