package dev.thaw.bench.warm;

import dev.thaw.core.function.FunctionSpec;
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
import dev.thaw.node.protocol.InstanceInfo;
import dev.thaw.node.snapshot.SnapshotNode;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The measurement of {@code thaw bench warm}: one warm instance on a node behind an agent and a
 * gateway, invoked straight at the guest, through the agent and through the gateway, each on a
 * kept-alive connection and on a new connection per request. The six kinds take turns in every
 * round, so that they share the machine's load alike, and untimed rounds come first, so that every
 * path runs compiled code, as a long-running gateway does. It prints its progress as it goes.
 */
public final class WarmInvocationRounds {
  /** The path straight to the guest. */
  public static final String GUEST = "guest";

  /** The path through the node agent. */
  public static final String AGENT = "agent";

  /** The path through the gateway and the agent. */
  public static final String GATEWAY = "gateway";

  private final Vmm vmm;
  private final SnapshotManifest.Guest guest;
  private final Path root;
  private final PrintStream out;

  /**
   * Rounds on {@code vmm} booting the guest whose digests are {@code guest}, data in {@code root}.
   */
  public WarmInvocationRounds(Vmm vmm, SnapshotManifest.Guest guest, Path root, PrintStream out) {
    this.vmm = vmm;
    this.guest = guest;
    this.root = root;
    this.out = out;
  }

  /** The row of {@code path} on kept-alive connections. */
  public static String keptAlive(String path) {
    return path + ", kept alive";
  }

  /** The row of {@code path} on a new connection per request. */
  public static String newConnection(String path) {
    return path + ", new connection";
  }

  /**
   * Times {@code requests} invocations of {@code function} per path and connection kind, after
   * {@code warmup} untimed rounds.
   *
   * @return each row's latencies in milliseconds, by {@link #keptAlive} and {@link #newConnection}
   *     of each path, in the order guest, agent, gateway
   */
  public Map<String, List<Double>> measure(FunctionSpec function, int requests, int warmup)
      throws Exception {
    if (requests < 1 || warmup < 0) {
      throw new IllegalArgumentException("requests " + requests + ", warm-up " + warmup);
    }
    Revision revision = Revision.of(function.id());
    BearerToken token = BearerToken.generate();
    try (SnapshotNode node =
            SnapshotNode.builder(vmm, guest, root.resolve("node"))
                .manager(b -> b.mode(SnapshotMode.LOCAL))
                .build();
        NodeAgent agent =
            NodeAgent.builder()
                .name("node-1")
                .manager(node.manager())
                .keepAlive(Duration.ofMinutes(30))
                .maxInstances(1)
                .build();
        AgentServer agentServer =
            AgentServer.start(agent, 0, token, node.cache()::revisions, () -> "");
        Gateway gateway =
            Gateway.builder()
                .token(token)
                .node("node-1", agentServer.uri())
                .scorer(PlacementScorer.named("default"))
                .build();
        GatewayServer gatewayServer = GatewayServer.start(gateway, 0, token)) {
      agent.deploy(revision, function);
      InstanceInfo instance = warmInstance(agent, revision);
      String invoke = "/functions/" + revision + "/invoke";
      List<WarmPath> paths =
          List.of(
              new WarmPath(GUEST, URI.create(instance.endpoint()), "GET", "/", ""),
              // The agent asks every caller for the token; the gateway's invocations are open.
              new WarmPath(
                  AGENT,
                  agentServer.uri(),
                  "POST",
                  invoke,
                  "Authorization: " + token.authorization() + "\r\n"),
              new WarmPath(GATEWAY, gatewayServer.uri(), "POST", invoke, ""));
      return time(paths, requests, warmup);
    }
  }

  /** Starts one instance (boot, snapshot, verified clone) and waits until it is idle. */
  private InstanceInfo warmInstance(NodeAgent agent, Revision revision) throws Exception {
    out.println("  starting one instance (boot, snapshot, verified clone)…");
    agent.invoke(revision, "/");
    long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
    while (agent.instances().stream().noneMatch(i -> !i.busy())
        || agent.activeInstances() != agent.instances().size()) {
      if (System.nanoTime() > deadline) {
        throw new IOException("no warm instance of " + revision + " within 5 minutes");
      }
      Thread.sleep(50);
    }
    return agent.instances().get(0);
  }

  private Map<String, List<Double>> time(List<WarmPath> paths, int requests, int warmup)
      throws Exception {
    Map<String, List<Double>> ms = new LinkedHashMap<>();
    // One client per path, so that no path's connections wait behind another's.
    Map<String, HttpClient> clients = new LinkedHashMap<>();
    paths.forEach(
        p ->
            clients.put(
                p.name(), HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()));
    out.printf("  %d rounds of warm-up…%n", warmup);
    for (int i = -warmup; i < requests; i++) {
      if (i == 0) {
        out.println("  timing…");
      }
      for (WarmPath p : paths) {
        double kept = p.timeKeptAlive(clients.get(p.name()));
        double fresh = p.timeNewConnection();
        if (i >= 0) {
          ms.computeIfAbsent(keptAlive(p.name()), k -> new ArrayList<>()).add(kept);
          ms.computeIfAbsent(newConnection(p.name()), k -> new ArrayList<>()).add(fresh);
        }
      }
      if (i < 0 && (warmup + i) > 0 && (warmup + i) % 500 == 0) {
        out.printf("  %d/%d warm-up rounds%n", warmup + i, warmup);
      } else if (i > 0 && i % 100 == 0) {
        out.printf("  %d/%d rounds%n", i, requests);
      }
    }
    return ms;
  }
}
