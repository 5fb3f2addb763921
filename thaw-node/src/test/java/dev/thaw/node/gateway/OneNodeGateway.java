package dev.thaw.node.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.function.Revision;
import dev.thaw.core.placement.PlacementScorer;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotMode;
import dev.thaw.core.vmm.FakeVmm;
import dev.thaw.http.BearerToken;
import dev.thaw.node.agent.AgentServer;
import dev.thaw.node.agent.NodeAgent;
import dev.thaw.node.protocol.CacheReport;
import dev.thaw.node.snapshot.SnapshotNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * The gateway tests' cluster over real HTTP on 127.0.0.1: a gateway in front of one agent ({@code
 * n1}, local snapshots, two instances, on TCP and on a Unix-domain socket) whose VMs are a {@link
 * FakeVmm}, all asking for {@link #TOKEN}. {@link #close()} stops everything and checks that no VM
 * is left running.
 */
final class OneNodeGateway implements AutoCloseable {
  static final BearerToken TOKEN = BearerToken.generate();

  /** A function's spec, as a deploy's body: {@link #SPEC}. */
  static final String FN =
      "{\"id\":\"fn\",\"memoryMib\":64,\"vcpus\":1,\"handler\":\"hello\",\"initMib\":0}";

  static final FunctionSpec SPEC = new FunctionSpec("fn", 64, 1, "hello", 0);

  private static final SnapshotManifest.Guest GUEST =
      new SnapshotManifest.Guest("a".repeat(64), "b".repeat(64));

  final FakeVmm vmm = new FakeVmm();
  final SnapshotNode node;
  final NodeAgent agent;
  final AgentServer agentServer;
  final Gateway gateway;

  /** The gateway's server; a test that restarts it puts the new one here, for {@link #close}. */
  GatewayServer server;

  /**
   * Starts the cluster with its data in {@code dir}: {@code onAgent} runs before the agent serves
   * (to deploy on it directly, say), {@code gatewayOptions} adds to the gateway's builder.
   */
  static OneNodeGateway start(
      Path dir, Consumer<NodeAgent> onAgent, UnaryOperator<Gateway.Builder> gatewayOptions)
      throws Exception {
    return new OneNodeGateway(dir, onAgent, gatewayOptions);
  }

  /** {@link #start} with nothing deployed and the gateway's defaults. */
  static OneNodeGateway start(Path dir) throws Exception {
    return start(dir, agent -> {}, b -> b);
  }

  /** Deploys {@link #SPEC} as {@code fn-1} on the agent itself, not through the gateway. */
  static void deployFn1(NodeAgent agent) {
    agent.deploy(Revision.of("fn-1"), SPEC);
  }

  private OneNodeGateway(
      Path dir, Consumer<NodeAgent> onAgent, UnaryOperator<Gateway.Builder> gatewayOptions)
      throws Exception {
    node =
        SnapshotNode.builder(vmm, GUEST, dir.resolve("node"))
            .manager(b -> b.mode(SnapshotMode.LOCAL))
            .build();
    agent = NodeAgent.builder().name("n1").manager(node.manager()).maxInstances(2).build();
    onAgent.accept(agent);
    agentServer =
        AgentServer.builder(agent, TOKEN)
            .socket(dir.resolve("agent.sock"))
            .snapshots(node.cache()::revisions)
            .cache(() -> CacheReport.of("n1", node.cache()))
            .start();
    gateway =
        gatewayOptions
            .apply(
                Gateway.builder()
                    .token(TOKEN)
                    .node("n1", agentServer.uri())
                    .scorer(PlacementScorer.named("default"))
                    .healthInterval(Duration.ofMillis(100)))
            .build();
    server = GatewayServer.start(gateway, 0, TOKEN);
  }

  @Override
  public void close() throws Exception {
    server.close();
    gateway.close();
    agentServer.close();
    agent.close();
    node.close();
    assertThat(vmm.running()).as("VMs left running").isZero();
  }
}
