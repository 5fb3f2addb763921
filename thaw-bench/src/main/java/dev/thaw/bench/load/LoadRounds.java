package dev.thaw.bench.load;

import dev.thaw.bench.cluster.LocalCluster;
import dev.thaw.bench.demo.DemoRounds;
import dev.thaw.core.function.Revision;
import dev.thaw.core.snapshot.SnapshotMode;
import dev.thaw.core.snapshot.VariantSnapshotStore;
import dev.thaw.http.BearerToken;
import dev.thaw.node.gateway.Gateway;
import dev.thaw.node.gateway.GatewayServer;
import dev.thaw.node.protocol.AgentClient;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.eclipse.jetty.client.HttpClient;

/**
 * The run of {@code thaw bench load}, on real agents ({@code thaw agent} processes) in remote
 * snapshot mode behind a gateway served over HTTP in this process:
 *
 * <ol>
 *   <li>warm: one node with one slot per client; the built-in {@code hello} warmed to one instance
 *       per client (its boot uploads its snapshot to the object store); the {@link WarmLoad}
 *       through the gateway and straight to the guests;
 *   <li>cold: a new cluster of two nodes, their caches empty and no instance anywhere; a {@link
 *       ColdBurst} of concurrent requests through a new gateway, restored from the snapshot the
 *       warm half stored.
 * </ol>
 *
 * Every agent stops its VMs when its cluster closes.
 */
public final class LoadRounds {
  /** The function both halves invoke. */
  static final Revision FUNCTION = Revision.of("hello");

  /** Nodes of the cold burst's cluster. */
  static final int BURST_NODES = 2;

  /**
   * The bench's shape.
   *
   * @param clients concurrent clients of the warm load, and warm instances
   * @param length how long the warm load runs per path
   * @param warmup how long each path runs untimed first
   * @param burst requests of the cold burst
   * @param slots instances per node in the cold burst's cluster
   */
  public record Shape(int clients, Duration length, Duration warmup, int burst, int slots) {
    public Shape {
      Objects.requireNonNull(length, "length");
      Objects.requireNonNull(warmup, "warmup");
      if (clients < 1 || burst < 1 || slots < 1) {
        throw new IllegalArgumentException("need clients, burst and slots >= 1");
      }
      if (length.compareTo(Duration.ofSeconds(WarmLoad.SLICES)) < 0 || warmup.isNegative()) {
        throw new IllegalArgumentException(
            "need a load of at least " + WarmLoad.SLICES + " s and a warm-up >= 0");
      }
    }
  }

  private final Shape shape;
  private final DemoRounds.ObjectStore store;
  private final BearerToken token;
  private final PrintStream out;

  /**
   * The bench of {@code shape}, its agents storing snapshots in {@code store}, agents and gateways
   * sharing {@code token}; it prints to {@code out}.
   */
  public LoadRounds(Shape shape, DemoRounds.ObjectStore store, BearerToken token, PrintStream out) {
    this.shape = Objects.requireNonNull(shape, "shape");
    this.store = Objects.requireNonNull(store, "store");
    this.token = Objects.requireNonNull(token, "token");
    this.out = Objects.requireNonNull(out, "out");
  }

  /** Runs both halves, each cluster's data under {@code root}. */
  public LoadFigures run(Path root) throws IOException, InterruptedException {
    out.printf("warm: 1 node, %d instances of %s%n", shape.clients(), FUNCTION);
    WarmLoadFigures warm = warm(root.resolve("warm"));
    out.printf(
        "cold burst: %d nodes × %d slots, %d requests at once%n",
        BURST_NODES, shape.slots(), shape.burst());
    BurstFigures burst = burst(root.resolve("burst"));
    return new LoadFigures(warm, burst);
  }

  private WarmLoadFigures warm(Path dir) throws IOException, InterruptedException {
    HttpClient agentHttp = AgentClient.newHttp();
    try (LocalCluster cluster = LocalCluster.start(config(1, dir, shape.clients()));
        Gateway gateway = gateway(cluster);
        GatewayServer server = GatewayServer.start(gateway, 0, token);
        HttpLoad http = new HttpLoad(shape.clients())) {
      AgentClient agent =
          new AgentClient(cluster.agents().values().iterator().next(), agentHttp, token);
      WarmLoad load = new WarmLoad(shape.clients(), out);
      List<URI> guests = load.warmInstances(gateway, agent, FUNCTION);
      awaitStored();
      return load.measure(
          http, server.uri().resolve("/" + FUNCTION + "/"), guests, shape.length(), shape.warmup());
    } finally {
      AgentClient.stop(agentHttp);
    }
  }

  private BurstFigures burst(Path dir) throws IOException, InterruptedException {
    HttpClient agentHttp = AgentClient.newHttp();
    try (LocalCluster cluster = LocalCluster.start(config(BURST_NODES, dir, shape.slots()));
        Gateway gateway = gateway(cluster);
        GatewayServer server = GatewayServer.start(gateway, 0, token);
        HttpLoad http = new HttpLoad(shape.burst())) {
      Map<String, AgentClient> nodes = new LinkedHashMap<>();
      for (var e : cluster.agents().entrySet()) {
        AgentClient a = new AgentClient(e.getValue(), agentHttp, token);
        if (!a.snapshots().isEmpty() || !a.instances().isEmpty()) {
          throw new IllegalStateException(e.getKey() + " is not empty: " + a.snapshots());
        }
        nodes.put(e.getKey(), a);
      }
      return new ColdBurst(out)
          .run(
              http,
              server.uri().resolve("/" + FUNCTION + "/"),
              FUNCTION.value(),
              nodes,
              shape.burst(),
              shape.slots());
    } finally {
      AgentClient.stop(agentHttp);
    }
  }

  /** Waits until the function's snapshot is in the object store (uploaded after its boot). */
  private void awaitStored() throws IOException, InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    // The store keeps a revision's snapshot under its name and the variant of its VMM and guest.
    while (store.snapshots().revisions().stream()
        .noneMatch(r -> VariantSnapshotStore.isOf(r, FUNCTION.value()))) {
      if (System.nanoTime() > deadline) {
        throw new IOException("the snapshot of " + FUNCTION + " never reached the object store");
      }
      Thread.sleep(200);
    }
  }

  private LocalCluster.Config config(int nodes, Path dir, int maxInstances) {
    return new LocalCluster.Config(
        nodes,
        dir,
        SnapshotMode.REMOTE,
        true,
        store.endpoint(),
        store.credentials(),
        Duration.ofMinutes(30),
        maxInstances,
        token);
  }

  private Gateway gateway(LocalCluster cluster) {
    Gateway.Builder b = Gateway.builder().token(token);
    cluster.agents().forEach(b::node);
    return b.build();
  }
}
