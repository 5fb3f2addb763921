package dev.thaw.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.thaw.bench.cluster.LocalCluster;
import dev.thaw.core.function.BuiltinFunctions;
import dev.thaw.core.function.Revision;
import dev.thaw.core.placement.PlacementScorer;
import dev.thaw.core.snapshot.SnapshotMode;
import dev.thaw.fuse.FuseFileServer;
import dev.thaw.http.BearerToken;
import dev.thaw.node.gateway.Gateway;
import dev.thaw.node.protocol.AgentClient;
import dev.thaw.node.protocol.Refused;
import dev.thaw.node.remote.RemoteSnapshotStore;
import dev.thaw.qemu.GuestImage;
import dev.thaw.s3.EmbeddedS3Server;
import dev.thaw.s3.S3ObjectStore;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two `thaw agent` processes, the gateway and the embedded S3 server on this machine. */
class ClusterIT {
  private static final BearerToken TOKEN = BearerToken.generate();

  @TempDir Path dir;

  @Test
  void remoteRestoreSnapshotAwarePlacementAndANodeKilledMidInvocation() throws Exception {
    GuestImage.ensure(System.out::println);
    boolean lazyHere = LazyRestores.possibleHere(dir);
    try (EmbeddedS3Server s3 = EmbeddedS3Server.start(dir.resolve("s3"));
        RemoteSnapshotStore store =
            RemoteSnapshotStore.builder(S3ObjectStore.builder().server(s3).build().ensureBucket())
                .build();
        LocalCluster cluster =
            LocalCluster.start(
                new LocalCluster.Config(
                    2,
                    dir,
                    SnapshotMode.REMOTE,
                    true,
                    s3.endpoint(),
                    s3.credentials().resolveCredentials(),
                    Duration.ofSeconds(5),
                    4,
                    TOKEN));
        Gateway gateway = gateway(cluster.agents(), PlacementScorer.snapshotAware(0.5))) {
      // First invocation: a cold boot on some node A, snapshotted and uploaded.
      Gateway.Result first = gateway.invoke(Revision.of("stateful"), "/");
      assertThat(first.served().start()).isEqualTo("cold");
      assertThat(first.served().source()).isEqualTo("none");
      String a = first.node();
      String b = a.equals("node-1") ? "node-2" : "node-1";
      // The snapshot's clone is A's warm instance as soon as the snapshot is committed, while it
      // is uploaded (for the 5 s keep-alive): once the gateway has seen A cache the snapshot, it
      // routes there, no cold start.
      URI instancesOfA = cluster.agents().get(a).resolve("/instances");
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(50))
          .until(
              () ->
                  get(instancesOfA).body().contains("\"busy\":false")
                      && gateway.nodes().stream()
                          .anyMatch(
                              n -> n.node().equals(a) && n.cachedRevisions().contains("stateful")));
      Gateway.Result warm = gateway.invoke(Revision.of("stateful"), "/");
      assertThat(warm.node()).isEqualTo(a);
      assertThat(warm.served().start()).isEqualTo("warm");
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> store.revisions().stream().anyMatch(n -> n.startsWith("stateful@")));

      // Idle past keep-alive, every instance stops; snapshot-aware placement picks A again.
      await().atMost(Duration.ofSeconds(30)).until(() -> noInstances(cluster.agents()));
      Gateway.Result again = gateway.invoke(Revision.of("stateful"), "/");
      assertThat(again.node()).isEqualTo(a);
      assertThat(again.served().source()).isEqualTo("local");

      // A cold start on B restores A's snapshot from remote storage.
      HttpResponse<String> onB =
          post(cluster.agents().get(b).resolve("/functions/stateful/invoke"));
      assertThat(onB.statusCode()).isEqualTo(200);
      assertThat(onB.headers().firstValue("X-Thaw-Source")).contains("remote");
      assertThat(onB.body()).contains(bootId(first.body()));
      // Lazily where this host has FUSE: the guest resumed before the whole snapshot was here.
      if (lazyHere) {
        assertThat(LazyRestores.madeBy(cluster.agents().get(b), TOKEN))
            .as("lazy restores on %s", b)
            .isEqualTo(1);
      } else {
        assertThat(dir.resolve(b).resolve("agent.log")).content().contains("lazy restore off: ");
      }

      // Kill the node that is booting an instance: the caller gets an error, not a hang.
      // First let every instance expire, so the only instance is the one booting.
      await().atMost(Duration.ofSeconds(30)).until(() -> busyNode(cluster.agents()) == null);
      CompletableFuture<Gateway.Result> inFlight =
          CompletableFuture.supplyAsync(() -> gateway.invoke(Revision.of("hello"), "/"));
      String booting =
          await()
              .atMost(Duration.ofSeconds(20))
              .until(() -> busyNode(cluster.agents()), n -> n != null);
      cluster.kill(booting);
      assertThatThrownBy(() -> inFlight.get(30, TimeUnit.SECONDS))
          .hasCauseInstanceOf(Refused.class)
          .hasMessageContaining("failed during the invocation");
      // Its file server for lazy restores could not unmount; no stale mount is left here.
      assertThat(FuseFileServer.isMounted(dir.resolve(booting).resolve("served").resolve(booting)))
          .isFalse();

      // The gateway keeps serving through the surviving node.
      Gateway.Result survivor = gateway.invoke(Revision.of("stateful"), "/");
      assertThat(survivor.status()).isEqualTo(200);
      assertThat(survivor.node()).isNotEqualTo(booting);
    }
  }

  private static Gateway gateway(Map<String, URI> agents, PlacementScorer scorer) {
    Gateway.Builder b =
        Gateway.builder().token(TOKEN).scorer(scorer).healthInterval(Duration.ofMillis(200));
    agents.forEach(b::node);
    Gateway g = b.build();
    g.deploy(Revision.of("stateful"), BuiltinFunctions.STATEFUL);
    g.deploy(Revision.of("hello"), BuiltinFunctions.HELLO);
    return g;
  }

  /** Whether every agent has stopped every instance (idle ones count: they are warm). */
  private static boolean noInstances(Map<String, URI> agents) throws Exception {
    var http = AgentClient.newHttp();
    try {
      for (URI agent : agents.values()) {
        if (new AgentClient(agent, http, TOKEN).status().activeInstances() != 0) {
          return false;
        }
      }
      return true;
    } finally {
      AgentClient.stop(http);
    }
  }

  /** The node with an instance starting (the hello cold boot), or null. */
  private static String busyNode(Map<String, URI> agents) throws Exception {
    for (var e : agents.entrySet()) {
      HttpResponse<String> r = get(e.getValue().resolve("/health"));
      if (r.body().contains("\"activeInstances\":1")) {
        return e.getKey();
      }
    }
    return null;
  }

  private static String bootId(String body) {
    int i = body.indexOf("\"bootId\":\"");
    return body.substring(i, i + 28);
  }

  private static HttpResponse<String> post(URI uri) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(uri)
                .header("Authorization", TOKEN.authorization())
                .POST(HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> get(URI uri) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(uri).header("Authorization", TOKEN.authorization()).build(),
            HttpResponse.BodyHandlers.ofString());
  }
}
