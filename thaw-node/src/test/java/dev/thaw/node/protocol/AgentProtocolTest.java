package dev.thaw.node.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.function.Revision;
import dev.thaw.core.placement.PlacementScorer;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotMode;
import dev.thaw.core.vmm.FakeVmm;
import dev.thaw.http.BearerToken;
import dev.thaw.node.agent.AgentServer;
import dev.thaw.node.agent.NodeAgent;
import dev.thaw.node.gateway.Gateway;
import dev.thaw.node.snapshot.ColdStart;
import dev.thaw.node.snapshot.SnapshotNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's HTTP API read through {@link AgentClient} and the {@link Gateway}, over real HTTP on
 * 127.0.0.1 with a {@link FakeVmm} under the agent: what the records carry, and how refusals
 * travel.
 */
class AgentProtocolTest {
  private static final BearerToken TOKEN = BearerToken.generate();
  private static final FunctionSpec FN = new FunctionSpec("fn", 64, 1, "hello", 0);
  private static final SnapshotManifest.Guest GUEST =
      new SnapshotManifest.Guest("a".repeat(64), "b".repeat(64));

  @TempDir Path dir;
  private final FakeVmm vmm = new FakeVmm();
  private SnapshotNode node;
  private NodeAgent agent;
  private AgentServer server;
  private AgentClient client;
  private org.eclipse.jetty.client.HttpClient http;

  @BeforeEach
  void start() throws Exception {
    node = SnapshotNode.builder(vmm, GUEST, dir).manager(b -> b.mode(SnapshotMode.LOCAL)).build();
    agent = NodeAgent.builder().name("n1").manager(node.manager()).maxInstances(2).build();
    server = AgentServer.builder(agent, TOKEN).snapshots(node.cache()::revisions).start();
    http = AgentClient.newHttp();
    client = new AgentClient(server.uri(), http, TOKEN);
    client.deploy(Revision.of("fn-1"), FN, Duration.ofSeconds(5));
  }

  @AfterEach
  void stop() throws Exception {
    AgentClient.stop(http);
    server.close();
    agent.close();
    node.close();
    assertThat(vmm.running()).as("VMs left running").isZero();
  }

  @Test
  void aColdStartThenAWarmInvocationAreReportedAsTyped() throws Exception {
    assertThat(client.status())
        .isEqualTo(
            new NodeStatus("ok", "n1", 2, 0, 0, "local", java.util.List.of(), java.util.Map.of()));

    AgentClient.Answer cold = client.invoke(Revision.of("fn-1"), "/", Duration.ofSeconds(5));
    assertThat(cold.refusal()).isEmpty();
    assertThat(cold.status()).isEqualTo(200);
    assertThat(cold.body()).isEqualTo("booted fn");
    Served served = cold.served().orElseThrow();
    assertThat(served.node()).isEqualTo("n1");
    assertThat(served.start()).isEqualTo("cold");
    assertThat(served.coldStart().orElseThrow().source()).isEqualTo(ColdStart.Source.NONE);
    assertThat(served.coldStart().orElseThrow().fallback()).isEmpty();

    // The boot is snapshotted; the clone that verified the snapshot becomes the warm instance.
    await().atMost(Duration.ofSeconds(10)).until(() -> client.snapshots().contains("fn-1"));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> client.instances().stream().anyMatch(i -> !i.busy()));
    assertThat(client.instances())
        .singleElement()
        .satisfies(i -> assertThat(i.revision()).isEqualTo("fn-1"));

    AgentClient.Answer warm = client.invoke(Revision.of("fn-1"), "/", Duration.ofSeconds(5));
    assertThat(warm.served().orElseThrow().cold()).isFalse();
    assertThat(warm.served().orElseThrow().source()).isEmpty();

    // What placement by expected time reads: the boot, the clone and the runs it measured.
    RevisionLoad load = client.status().revisions().get(0);
    assertThat(load.revision()).isEqualTo("fn-1");
    assertThat(load.idle()).isEqualTo(1);
    assertThat(load.clonesMs()).isEmpty();
    assertThat(load.bootMs()).isNotNull();
    assertThat(load.cloneMs()).isNotNull();
    assertThat(load.runMs()).isNotNull();
    assertThat(load.localMs()).isNull();
  }

  /**
   * A status as an agent before placement by expected time wrote it, and as such a reader reads.
   */
  record OldNodeStatus(
      String status, String node, int maxInstances, int activeInstances, int busyInstances) {}

  @Test
  void statusesOfOldAgentsAndOldReadersStillRead() throws Exception {
    String old =
        "{\"status\":\"ok\",\"node\":\"n\",\"maxInstances\":2,"
            + "\"activeInstances\":1,\"busyInstances\":0}";
    NodeStatus read = AgentClient.JSON.readValue(old, NodeStatus.class);
    assertThat(read).isEqualTo(new NodeStatus("ok", "n", 2, 1, 0));
    assertThat(read.revisions()).isEmpty();
    assertThat(read.remoteSnapshots()).isFalse();

    client.invoke(Revision.of("fn-1"), "/", Duration.ofSeconds(5));
    String now = AgentClient.JSON.writeValueAsString(client.status());
    assertThat(AgentClient.JSON.readValue(now, OldNodeStatus.class).node()).isEqualTo("n1");
  }

  @Test
  void theAgentsRefusalsComeBackAsKinds() throws Exception {
    AgentClient.Answer unknown = client.invoke(Revision.of("nope"), "/", Duration.ofSeconds(5));
    assertThat(unknown.status()).isEqualTo(404);
    assertThat(unknown.served()).isEmpty();
    assertThat(unknown.refusal()).contains(Refused.Kind.UNKNOWN_REVISION);
    assertThat(unknown.body()).contains("no function deployed as revision nope");
  }

  @Test
  void theGatewayReturnsTheTypedReportAndPassesRefusalsOn() throws Exception {
    try (Gateway gateway =
        Gateway.builder()
            .token(TOKEN)
            .node("n1", server.uri())
            .scorer(PlacementScorer.named("default"))
            .healthInterval(Duration.ofMillis(50))
            .build()) {
      Gateway.Result r = gateway.invoke(Revision.of("fn-1"), "/");
      assertThat(r.node()).isEqualTo("n1");
      assertThat(r.body()).isEqualTo("booted fn");
      assertThat(r.served().coldStart()).isPresent();
      assertThat(r.placement()).isPositive();

      assertThatThrownBy(() -> gateway.invoke(Revision.of("nope"), "/"))
          .isInstanceOfSatisfying(
              Refused.class, e -> assertThat(e.kind()).isEqualTo(Refused.Kind.UNKNOWN_REVISION));
    }
  }

  @Test
  void servedHeadersRoundTripAndMalformedOnesAreNamed() {
    Served s =
        new Served(
            "n1",
            "n1-fn-1-3",
            Optional.of(
                new ColdStartReport(
                    ColdStart.Source.REMOTE,
                    Duration.ofMillis(40),
                    Duration.ofMillis(250),
                    Optional.of("why\nsecond line é"))),
            Duration.ofMillis(300));
    var headers = s.headers();
    Served back = Served.readFrom(name -> Optional.ofNullable(headers.get(name)));
    assertThat(back.coldStart().orElseThrow().fallback()).contains("why");
    assertThat(back).usingRecursiveComparison().ignoringFields("coldStart").isEqualTo(s);
    assertThat(back.coldStart().orElseThrow().source()).isEqualTo(ColdStart.Source.REMOTE);
    assertThat(back.coldStart().orElseThrow().startup()).isEqualTo(Duration.ofMillis(250));

    headers.put("X-Thaw-Startup-Ms", "soon");
    assertThatThrownBy(() -> Served.readFrom(name -> Optional.ofNullable(headers.get(name))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("X-Thaw-Startup-Ms is not a number of milliseconds: soon");
  }
}
