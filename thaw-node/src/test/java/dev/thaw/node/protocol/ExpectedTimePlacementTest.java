package dev.thaw.node.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.function.Revision;
import dev.thaw.core.placement.PlacementScorer;
import dev.thaw.core.placement.StartPriors;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotMode;
import dev.thaw.core.vmm.FakeVmm;
import dev.thaw.http.BearerToken;
import dev.thaw.node.agent.AgentServer;
import dev.thaw.node.agent.NodeAgent;
import dev.thaw.node.gateway.Gateway;
import dev.thaw.node.snapshot.SnapshotNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Placement by expected time through two agents and the gateway over real HTTP on 127.0.0.1, with a
 * {@link FakeVmm} whose boots take seconds and whose restores wait for the test: an invocation sent
 * while the first one's clone is being verified waits for that clone on its node, and boots
 * nowhere. (The same with QEMU: {@code ExpectedTimeIT} in thaw-cli.)
 */
class ExpectedTimePlacementTest {
  private static final BearerToken TOKEN = BearerToken.generate();
  private static final FunctionSpec FN = new FunctionSpec("fn", 64, 1, "hello", 0);
  private static final Revision REV = Revision.of("fn-1");
  private static final SnapshotManifest.Guest GUEST =
      new SnapshotManifest.Guest("a".repeat(64), "b".repeat(64));

  @TempDir Path dir;
  private final FakeVmm vmm = new FakeVmm();
  private final List<AutoCloseable> open = new ArrayList<>();
  private final Map<String, AgentClient> agents = new HashMap<>();
  private org.eclipse.jetty.client.HttpClient http;
  private Gateway gateway;

  @BeforeEach
  void start() throws Exception {
    vmm.bootTime = Duration.ofSeconds(4);
    http = AgentClient.newHttp();
    Gateway.Builder g =
        Gateway.builder()
            .token(TOKEN)
            .scorer(PlacementScorer.named("snapshot-aware"))
            .expectedTime(StartPriors.DEFAULT)
            .healthInterval(Duration.ofMillis(50));
    for (String name : List.of("node-1", "node-2")) {
      SnapshotNode node =
          SnapshotNode.builder(vmm, GUEST, dir.resolve(name))
              .manager(b -> b.mode(SnapshotMode.LOCAL))
              .build();
      NodeAgent agent = NodeAgent.builder().name(name).manager(node.manager()).build();
      AgentServer server =
          AgentServer.builder(agent, TOKEN).snapshots(node.cache()::revisions).start();
      open.add(node);
      open.add(agent);
      open.add(server);
      agents.put(name, new AgentClient(server.uri(), http, TOKEN));
      g.node(name, server.uri());
    }
    gateway = g.build();
    gateway.deployEverywhere(REV, FN, Duration.ofSeconds(10));
  }

  @AfterEach
  void stop() throws Exception {
    vmm.restoreGate.countDown();
    gateway.close();
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
    AgentClient.stop(http);
    assertThat(vmm.running()).as("VMs left running").isZero();
  }

  @Test
  void anInvocationWhileTheFirstOnesCloneIsVerifiedWaitsForItInsteadOfBooting() throws Exception {
    CountDownLatch gate = new CountDownLatch(1);
    vmm.restoreGate = gate;
    Gateway.Result first = gateway.invoke(REV, "/");
    assertThat(first.served().source()).isEqualTo("none");
    String a = first.node();
    // Its clone is being made: the restore that verifies it waits for the gate.
    await().until(() -> !load(a).clonesMs().isEmpty());

    CompletableFuture<Gateway.Result> second =
        CompletableFuture.supplyAsync(() -> gateway.invoke(REV, "/"));
    await().until(() -> load(a).waiting() == 1);
    assertThat(vmm.boots()).isEqualTo(1);
    gate.countDown();

    Gateway.Result served = second.get(30, TimeUnit.SECONDS);
    assertThat(served.node()).isEqualTo(a);
    assertThat(served.served().start()).isEqualTo("warm");
    assertThat(vmm.boots()).as("boots anywhere").isEqualTo(1);
    assertThat(load(a).bootMs()).isGreaterThanOrEqualTo(4000);
    assertThat(load(a).cloneMs()).isNotNull();
  }

  @Test
  void aCloneThatFailsSendsItsWaiterToBoot() throws Exception {
    vmm.restoreGate = new CountDownLatch(1);
    Gateway.Result first = gateway.invoke(REV, "/");
    String a = first.node();
    await().until(() -> !load(a).clonesMs().isEmpty());
    CompletableFuture<Gateway.Result> second =
        CompletableFuture.supplyAsync(() -> gateway.invoke(REV, "/"));
    await().until(() -> load(a).waiting() == 1);
    // The clone's restore finds the snapshot damaged: the waiter starts an instance of its own.
    vmm.corrupt.add("booted fn");
    vmm.restoreGate.countDown();

    Gateway.Result served = second.get(30, TimeUnit.SECONDS);
    assertThat(served.status()).isEqualTo(200);
    assertThat(served.served().start()).isEqualTo("cold");
    assertThat(served.served().source()).isEqualTo("none");
  }

  private RevisionLoad load(String node) throws Exception {
    return agents.get(node).status().revisions().stream()
        .filter(r -> r.revision().equals(REV.value()))
        .findFirst()
        .orElse(
            new RevisionLoad(
                REV.value(), 0, List.of(), List.of(), 0, null, null, null, null, null));
  }
}
