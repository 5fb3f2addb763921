package dev.thaw.bench.warm;

import dev.thaw.bench.cluster.GatewayAndAgent;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.function.Revision;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.vmm.Vmm;
import dev.thaw.node.protocol.InstanceInfo;
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
    try (GatewayAndAgent node =
        GatewayAndAgent.start(
            vmm, guest, root.resolve("node"), "node-1", Duration.ofMinutes(30), 1)) {
      node.agent().deploy(revision, function);
      out.println("  starting one instance (boot, snapshot, verified clone)…");
      InstanceInfo instance = node.warmInstance(revision);
      String invoke = "/functions/" + revision + "/invoke";
      List<WarmPath> paths =
          List.of(
              new WarmPath(GUEST, URI.create(instance.endpoint()), "GET", "/", ""),
              // The agent asks every caller for the token; the gateway's invocations are open.
              new WarmPath(
                  AGENT,
                  node.agentUri(),
                  "POST",
                  invoke,
                  "Authorization: " + node.token().authorization() + "\r\n"),
              new WarmPath(GATEWAY, node.gatewayUri(), "POST", invoke, ""));
      return time(paths, requests, warmup);
    }
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
