package dev.thaw.bench.vm;

import dev.thaw.bench.cluster.GatewayAndAgent;
import dev.thaw.bench.vm.BootRestoreRounds.PoolReady;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.function.Revision;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.vmm.Vmm;
import dev.thaw.node.protocol.Served;
import java.io.IOException;
import java.io.PrintStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The measurement of {@code thaw bench vm --gateway-restores}: where a local cold start's time goes
 * outside the VMM. Each setup (a VMM: without a pool of started QEMUs, with one) gets its own agent
 * in local mode behind its own gateway; the first invocation of each boots the function and
 * snapshots it. Then every round stops each agent's idle instances and invokes the function through
 * each gateway in turn (on a kept-alive connection to each), the order alternating, after waiting
 * until every pool is full again (so that a refill never competes with a cold start being timed),
 * and reads the agent's and the gateway's headers of each answer. Only local cold starts count; it
 * prints a line per invocation.
 */
public final class RestoreHopRounds {
  private static final Duration SETTLE = Duration.ofSeconds(60);

  private final SnapshotManifest.Guest guest;
  private final Path root;
  private final PrintStream out;
  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  /**
   * One agent's VMM.
   *
   * @param label its row in the table
   * @param vmm the VMM the agent restores on
   * @param poolReady waits for the VMM's pool to be full ({@code t -> true} without one)
   */
  public record Setup(String label, Vmm vmm, PoolReady poolReady) {}

  /** Rounds booting the guest whose digests are {@code guest}, data in {@code root}. */
  public RestoreHopRounds(SnapshotManifest.Guest guest, Path root, PrintStream out) {
    this.guest = guest;
    this.root = root;
    this.out = out;
  }

  /** Times {@code rounds} local cold starts of {@code function} through each setup's gateway. */
  public RestoreHops measure(FunctionSpec function, List<Setup> setups, int rounds)
      throws Exception {
    if (rounds < 1 || setups.isEmpty()) {
      throw new IllegalArgumentException("need a round and a setup at least");
    }
    Revision revision = Revision.of(function.id());
    List<GatewayAndAgent> nodes = new ArrayList<>();
    try {
      for (int s = 0; s < setups.size(); s++) {
        GatewayAndAgent node =
            GatewayAndAgent.start(
                setups.get(s).vmm(),
                guest,
                root.resolve("gateway-restores-" + (s + 1)),
                "node-" + (s + 1),
                Duration.ofMinutes(10),
                1);
        nodes.add(node);
        node.agent().deploy(revision, function);
        out.printf("  %s: booting %s and snapshotting it…%n", setups.get(s).label(), revision);
        node.warmInstance(revision);
      }
      Map<String, List<RestoreHops.Hop>> hops = new LinkedHashMap<>();
      setups.forEach(s -> hops.put(s.label(), new ArrayList<>()));
      for (int i = 1; i <= rounds; i++) {
        for (int k = 0; k < setups.size(); k++) {
          int s = i % 2 == 0 ? k : setups.size() - 1 - k;
          Setup setup = setups.get(s);
          settle(nodes.get(s), revision, setups);
          RestoreHops.Hop hop = invoke(nodes.get(s), revision, setup.label(), i, rounds);
          if (hop != null) {
            hops.get(setup.label()).add(hop);
          }
        }
      }
      return new RestoreHops(hops);
    } finally {
      for (GatewayAndAgent node : nodes) {
        node.close();
      }
    }
  }

  /** Stops the node's idle instances and waits until they are gone and every pool is full. */
  private static void settle(GatewayAndAgent node, Revision revision, List<Setup> setups)
      throws IOException, InterruptedException {
    node.agent().stopIdle(revision);
    long deadline = System.nanoTime() + SETTLE.toNanos();
    while (!node.agent().instances().isEmpty()) {
      if (System.nanoTime() > deadline) {
        throw new IOException("the idle instances of " + revision + " did not stop within 60 s");
      }
      Thread.sleep(20);
    }
    for (Setup s : setups) {
      if (!s.poolReady().await(SETTLE)) {
        throw new IOException("the VMM pool did not fill within 60 s");
      }
    }
  }

  /** One invocation through the gateway; its hop if it was a local cold start, else null. */
  private RestoreHops.Hop invoke(
      GatewayAndAgent node, Revision revision, String label, int i, int rounds)
      throws IOException, InterruptedException {
    HttpRequest request =
        HttpRequest.newBuilder(node.gatewayUri().resolve("/functions/" + revision + "/invoke"))
            .POST(HttpRequest.BodyPublishers.noBody())
            .build();
    long t0 = System.nanoTime();
    HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
    double totalMs = (System.nanoTime() - t0) / 1e6;
    if (r.statusCode() != 200) {
      throw new IOException("invoking " + revision + ": " + r.statusCode() + " " + r.body());
    }
    Served served = Served.readFrom(name -> r.headers().firstValue(name));
    String placement = r.headers().firstValue("X-Thaw-Placement-Ms").orElse("NaN");
    if (!served.cold() || !served.source().equals("local")) {
      out.printf(
          "  %s %d/%d: %s %s start, not counted%n",
          label, i, rounds, served.start(), served.source());
      return null;
    }
    double startupMs = served.coldStart().orElseThrow().startup().toMillis();
    out.printf(
        "  %s %d/%d: %.0f ms at the gateway (agent startup %.0f ms)%n",
        label, i, rounds, totalMs, startupMs);
    return new RestoreHops.Hop(
        totalMs, startupMs, served.latency().toMillis(), Double.parseDouble(placement));
  }
}
