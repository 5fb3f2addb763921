package dev.thaw.bench.cluster;

import dev.thaw.core.function.Revision;
import dev.thaw.core.placement.PlacementScorer;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotMode;
import dev.thaw.core.vmm.Vmm;
import dev.thaw.http.BearerToken;
import dev.thaw.node.agent.AgentServer;
import dev.thaw.node.agent.NodeAgent;
import dev.thaw.node.gateway.Gateway;
import dev.thaw.node.gateway.GatewayServer;
import dev.thaw.node.protocol.CacheReport;
import dev.thaw.node.protocol.InstanceInfo;
import dev.thaw.node.snapshot.SnapshotNode;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

/**
 * One node agent in this process, in local snapshot mode, behind a gateway in this process, both
 * serving HTTP on 127.0.0.1 and asking for a management token of their own: what {@code thaw bench
 * warm} and {@code thaw bench vm --gateway-restores} time invocations through.
 */
public final class GatewayAndAgent implements AutoCloseable {
  private static final Duration WARM = Duration.ofMinutes(5);

  private final BearerToken token;
  private final SnapshotNode node;
  private final NodeAgent agent;
  private final AgentServer agentServer;
  private final Gateway gateway;
  private final GatewayServer gatewayServer;

  private GatewayAndAgent(
      BearerToken token,
      SnapshotNode node,
      NodeAgent agent,
      AgentServer agentServer,
      Gateway gateway,
      GatewayServer gatewayServer) {
    this.token = token;
    this.node = node;
    this.agent = agent;
    this.agentServer = agentServer;
    this.gateway = gateway;
    this.gatewayServer = gatewayServer;
  }

  /**
   * Starts an agent named {@code name} on {@code vmm} (booting the guest whose digests are {@code
   * guest}, data in {@code dir}, idle instances kept for {@code keepAlive}, at most {@code
   * maxInstances}) and its gateway.
   */
  public static GatewayAndAgent start(
      Vmm vmm,
      SnapshotManifest.Guest guest,
      Path dir,
      String name,
      Duration keepAlive,
      int maxInstances)
      throws IOException {
    BearerToken token = BearerToken.generate();
    SnapshotNode node =
        SnapshotNode.builder(vmm, guest, dir).manager(b -> b.mode(SnapshotMode.LOCAL)).build();
    NodeAgent agent =
        NodeAgent.builder()
            .name(name)
            .manager(node.manager())
            .keepAlive(keepAlive)
            .maxInstances(maxInstances)
            .build();
    AgentServer agentServer =
        AgentServer.builder(agent, token)
            .snapshots(node.cache()::revisions)
            .cache(() -> CacheReport.of(name, node.cache()))
            .start();
    Gateway gateway =
        Gateway.builder()
            .token(token)
            .node(name, agentServer.uri())
            .scorer(PlacementScorer.named("default"))
            .build();
    return new GatewayAndAgent(
        token, node, agent, agentServer, gateway, GatewayServer.start(gateway, 0, token));
  }

  public NodeAgent agent() {
    return agent;
  }

  public SnapshotNode node() {
    return node;
  }

  public BearerToken token() {
    return token;
  }

  public URI agentUri() {
    return agentServer.uri();
  }

  public URI gatewayUri() {
    return gatewayServer.uri();
  }

  /**
   * Invokes {@code revision} once (a boot, whose snapshot is made and verified after it answers)
   * and waits until its snapshot is cached and the verified clone is an idle instance.
   */
  public InstanceInfo warmInstance(Revision revision) throws IOException, InterruptedException {
    agent.invoke(revision, "/");
    long deadline = System.nanoTime() + WARM.toNanos();
    while (!node.cache().revisions().contains(revision.value())
        || agent.instances().stream().noneMatch(i -> !i.busy())
        || agent.activeInstances() != agent.instances().size()) {
      if (System.nanoTime() > deadline) {
        throw new IOException("no warm instance of " + revision + " within " + WARM);
      }
      Thread.sleep(50);
    }
    return agent.instances().get(0);
  }

  @Override
  public void close() throws IOException {
    gatewayServer.close();
    gateway.close();
    agentServer.close();
    agent.close();
    node.close();
  }
}
