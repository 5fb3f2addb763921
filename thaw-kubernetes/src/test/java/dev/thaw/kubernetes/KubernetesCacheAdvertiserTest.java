package dev.thaw.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Against fabric8's mock API server in CRUD mode. */
@EnableKubernetesMockClient(crud = true)
class KubernetesCacheAdvertiserTest {
  KubernetesClient client;
  KubernetesMockServer server;

  private NodeSnapshotCache object(String node) {
    return client.resources(NodeSnapshotCache.class).withName(node).get();
  }

  @Test
  void createsThenUpdatesTheWholeSet() throws Exception {
    try (KubernetesCacheAdvertiser ads = new KubernetesCacheAdvertiser(client, "node-a")) {
      ads.advertise(Set.of("hello-00001"));
      await().atMost(Duration.ofSeconds(10)).until(() -> object("node-a") != null);
      assertThat(object("node-a").getSpec().getNodeName()).isEqualTo("node-a");
      ads.advertise(Set.of("hello-00001", "resize-00001"));
      ads.advertise(Set.of("resize-00001"));
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> object("node-a").getSpec().getSnapshots().equals(List.of("resize-00001")));
    }
  }

  @Test
  void aRestartedAgentReconcilesTheObjectToWhatItHas() throws Exception {
    try (KubernetesCacheAdvertiser before = new KubernetesCacheAdvertiser(client, "node-b")) {
      before.advertise(Set.of("a", "b", "c"));
      await().atMost(Duration.ofSeconds(10)).until(() -> object("node-b") != null);
    }
    try (KubernetesCacheAdvertiser after = new KubernetesCacheAdvertiser(client, "node-b")) {
      after.advertise(Set.of("b"));
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> object("node-b").getSpec().getSnapshots().equals(List.of("b")));
    }
  }

  @Test
  void aConflictIsRetriedWithAFreshResourceVersion() throws Exception {
    try (KubernetesCacheAdvertiser ads = new KubernetesCacheAdvertiser(client, "node-c")) {
      ads.advertise(Set.of("x"));
      await().atMost(Duration.ofSeconds(10)).until(() -> object("node-c") != null);
    }
    // The next update meets a 409 once, as when another writer got there first.
    server
        .expect()
        .put()
        .withPath("/apis/thaw.dev/v1alpha1/nodesnapshotcaches/node-c")
        .andReturn(409, "{\"kind\":\"Status\",\"code\":409,\"reason\":\"Conflict\"}")
        .once();
    try (KubernetesCacheAdvertiser ads = new KubernetesCacheAdvertiser(client, "node-c")) {
      ads.advertise(Set.of("x", "y"));
      await().atMost(Duration.ofSeconds(10)).until(() -> Set.of("x", "y").equals(ads.published()));
    }
    assertThat(object("node-c").getSpec().getSnapshots()).containsExactly("x", "y");
  }

  @Test
  @Timeout(60)
  void anUnreachableApiServerNeverBlocksTheCallerAndIsRetried() throws Exception {
    // An API server that holds each connection, unanswered, until released, then drops it: an
    // advertise() that waited for its write would wait here until the test's own timeout.
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger connections = new AtomicInteger();
    try (ServerSocket api = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Thread held =
          new Thread(
              () -> {
                while (true) {
                  try (Socket s = api.accept()) {
                    connections.incrementAndGet();
                    release.await();
                  } catch (IOException | InterruptedException closed) {
                    return;
                  }
                }
              });
      held.setDaemon(true);
      held.start();
      try (KubernetesClient down =
              new KubernetesClientBuilder()
                  .withConfig(
                      new io.fabric8.kubernetes.client.ConfigBuilder()
                          .withMasterUrl("http://127.0.0.1:" + api.getLocalPort())
                          .withRequestRetryBackoffLimit(0)
                          .build())
                  .build();
          KubernetesCacheAdvertiser ads =
              new KubernetesCacheAdvertiser(down, "node-d", Duration.ofMillis(200))) {
        for (int i = 0; i < 100; i++) {
          ads.advertise(Set.of("r" + i));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> connections.get() >= 1);
        assertThat(ads.published()).isNull();
        // Dropped connections fail the write; the writer tries again, on connections of its own
        // (three: more than one attempt, even if the HTTP client retries a dropped one once).
        release.countDown();
        await().atMost(Duration.ofSeconds(10)).until(() -> connections.get() >= 3);
        assertThat(ads.published()).isNull();
      } finally {
        release.countDown();
      }
    }
  }
}
