package dev.thaw.bench.demo;

import dev.thaw.bench.cluster.LocalCluster;
import dev.thaw.core.function.BuiltinFunctions;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.function.Revision;
import dev.thaw.core.placement.NodeState;
import dev.thaw.core.snapshot.SnapshotMode;
import dev.thaw.core.snapshot.SnapshotStore;
import dev.thaw.core.snapshot.VariantSnapshotStore;
import dev.thaw.http.BearerToken;
import dev.thaw.node.gateway.Gateway;
import dev.thaw.node.protocol.ColdStartReport;
import dev.thaw.node.protocol.ImageDeployment;
import dev.thaw.node.protocol.Refused;
import dev.thaw.node.protocol.Served;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AwsCredentials;

/**
 * The run of {@code thaw demo}: for each {@link DemoConfiguration}, a fresh cluster of agents on
 * this machine and a gateway in front of them, the functions deployed, and rounds of invocations of
 * every function separated by silence, so that every invocation after the first round is a cold
 * start from the snapshot the first made. Each configuration starts from an empty object store, so
 * that none restores what an earlier one saved. It prints a line per invocation (and the agent's
 * reason when a restore fell back) as it goes.
 */
public final class DemoRounds {
  /** Four functions: two handlers, two memory shapes of state (also what bench soak cycles). */
  public static final Map<String, FunctionSpec> FUNCTIONS;

  static {
    Map<String, FunctionSpec> functions = new LinkedHashMap<>();
    functions.put("hello", BuiltinFunctions.HELLO);
    functions.put("stateful", BuiltinFunctions.STATEFUL);
    functions.put("stateful-64", new FunctionSpec("stateful-64", 256, 1, "stateful", 64));
    functions.put("hello-small", new FunctionSpec("hello-small", 128, 1, "hello", 0));
    FUNCTIONS = Collections.unmodifiableMap(functions);
  }

  /** The function from an image: the project's Python HTTP function. */
  public static final String PYTHON = "python";

  /** Every revision a round invokes, in order: the built-in functions, then the image's. */
  public static final List<String> REVISIONS = revisions();

  /** Instances per agent. */
  private static final int MAX_INSTANCES = 8;

  /** How long the silence after a round waits at most for the instances to go. */
  private static final Duration SCALE_TO_ZERO = Duration.ofMinutes(3);

  /**
   * The demo's shape.
   *
   * @param nodes agents per cluster
   * @param rounds rounds of invocations per configuration, the first of which creates the snapshots
   * @param keepAlive the agents' keep-alive, which the silence between rounds outlasts
   * @param seed the gateway's seed of placement tie-breaks
   * @param vmmPool QEMUs each agent keeps started ahead for restores ({@code thaw agent
   *     --vmm-pool})
   * @param vmmStaged restores each agent keeps staged ahead on them ({@code thaw agent
   *     --vmm-staged})
   */
  public record Shape(
      int nodes, int rounds, Duration keepAlive, long seed, int vmmPool, int vmmStaged) {
    public Shape {
      if (nodes < 1 || rounds < 2) {
        throw new IllegalArgumentException("need nodes >= 1 and rounds >= 2");
      }
      if (vmmPool < 0 || vmmPool > 64) {
        throw new IllegalArgumentException("the VMM pool is 0 to 64: " + vmmPool);
      }
      if (vmmStaged < 0 || vmmStaged > 64 || (vmmStaged > 0 && vmmPool == 0)) {
        throw new IllegalArgumentException(
            "staged restores are 0 to 64, and need a VMM pool: " + vmmStaged);
      }
    }
  }

  /**
   * The object store the agents share for remote snapshots.
   *
   * @param snapshots the store, through which the demo empties it before each configuration
   * @param endpoint where the agents reach it
   * @param credentials what the agents sign with
   */
  public record ObjectStore(SnapshotStore snapshots, URI endpoint, AwsCredentials credentials) {}

  private final Shape shape;
  private final ObjectStore store;
  private final BearerToken token;
  private final ImageDeployment python;
  private final PrintStream out;
  private final long startedNanos;

  /**
   * The demo of {@code shape} on {@code store}, its agents and gateway sharing {@code token}, the
   * {@value #PYTHON} function deployed from {@code python}; it prints to {@code out} and counts its
   * lines' seconds from {@code startedNanos} (on {@link System#nanoTime()}).
   */
  public DemoRounds(
      Shape shape,
      ObjectStore store,
      BearerToken token,
      ImageDeployment python,
      PrintStream out,
      long startedNanos) {
    this.shape = shape;
    this.store = store;
    this.token = token;
    this.python = python;
    this.out = out;
    this.startedNanos = startedNanos;
  }

  /**
   * Runs every configuration, each cluster's data in a directory of its own under {@code root}, and
   * keeps each agent's log under {@code logs} ({@code <configuration>/<node>.log}).
   */
  public DemoResults run(Path root, Path logs) throws IOException, InterruptedException {
    List<DemoInvocation> invocations = new ArrayList<>();
    int index = 0;
    for (DemoConfiguration c : DemoConfiguration.ALL) {
      index++;
      for (String revision : store.snapshots().revisions()) {
        store.snapshots().delete(revision);
      }
      out.printf("[%d/%d] %s%n", index, DemoConfiguration.ALL.size(), c.name());
      Path dir = Files.createDirectories(root.resolve("run-" + index));
      try (LocalCluster cluster =
              LocalCluster.start(
                  new LocalCluster.Config(
                      shape.nodes(),
                      dir,
                      c.mode(),
                      c.cacheRemote(),
                      store.endpoint(),
                      store.credentials(),
                      shape.keepAlive(),
                      MAX_INSTANCES,
                      token),
                  Map.of(
                      "THAW_VMM_POOL",
                      Integer.toString(shape.vmmPool()),
                      "THAW_VMM_STAGED",
                      Integer.toString(shape.vmmStaged())));
          Gateway gateway = gateway(cluster, c)) {
        replay(c, gateway, invocations);
      } finally {
        keepLogs(dir, logs.resolve(index + "-" + c.name().replaceAll("[^a-z0-9]+", "-")));
      }
    }
    return new DemoResults(DemoConfiguration.ALL, invocations);
  }

  /**
   * Copies each agent's log ({@code <node>/agent.log} under {@code dir}) to {@code to}; a copy that
   * fails is said, and never hides why the configuration ended (it runs in a {@code finally}).
   */
  private void keepLogs(Path dir, Path to) {
    try (var nodes = Files.list(dir)) {
      Files.createDirectories(to);
      for (Path node : (Iterable<Path>) nodes::iterator) {
        Path log = node.resolve("agent.log");
        if (Files.isRegularFile(log)) {
          Files.copy(
              log, to.resolve(node.getFileName() + ".log"), StandardCopyOption.REPLACE_EXISTING);
        }
      }
    } catch (IOException e) {
      out.println("    cannot keep the agents' logs: " + e.getMessage());
    }
  }

  private Gateway gateway(LocalCluster cluster, DemoConfiguration c) {
    Gateway.Builder b =
        Gateway.builder()
            .token(token)
            .scorer(c.scorer())
            .seed(shape.seed())
            .healthInterval(Duration.ofMillis(200));
    cluster.agents().forEach(b::node);
    Gateway g = b.build();
    FUNCTIONS.forEach((name, f) -> g.deploy(Revision.of(name), f));
    try {
      // Each agent builds the image's root filesystem once per machine (they share the cache).
      g.deployEverywhere(Revision.of(PYTHON), python, Duration.ofMinutes(10));
    } catch (Refused e) {
      g.close();
      throw new IllegalStateException("cannot deploy the python function: " + e.getMessage(), e);
    }
    return g;
  }

  private void replay(DemoConfiguration c, Gateway gateway, List<DemoInvocation> invocations)
      throws InterruptedException {
    for (int round = 1; round <= shape.rounds(); round++) {
      for (String revision : REVISIONS) {
        long s = System.nanoTime();
        DemoInvocation row;
        String fallback = "";
        try {
          Gateway.Result r = gateway.invoke(Revision.of(revision), "/");
          Served served = r.served();
          fallback = served.coldStart().flatMap(ColdStartReport::fallback).orElse("");
          row =
              new DemoInvocation(
                  c.name(),
                  round,
                  revision,
                  r.node(),
                  served.start(),
                  served.source(),
                  String.format(Locale.ROOT, "%.3f", r.placement().toNanos() / 1e6),
                  served.coldStart().map(x -> x.fetch().toMillis()).orElse(0L),
                  served.coldStart().map(x -> x.startup().toMillis()).orElse(0L),
                  (System.nanoTime() - s) / 1e6,
                  r.status() == 200 ? "" : "status " + r.status());
        } catch (Refused e) {
          row =
              new DemoInvocation(
                  c.name(),
                  round,
                  revision,
                  "",
                  "",
                  "",
                  "",
                  0,
                  0,
                  (System.nanoTime() - s) / 1e6,
                  e.getMessage());
        }
        invocations.add(row);
        out.printf(
            Locale.ROOT,
            "  round %d/%d %-12s %-7s %-5s %-6s %7.0f ms%s   [%.0f s]%n",
            round,
            shape.rounds(),
            revision,
            row.node(),
            row.booted() ? "boot" : row.start(),
            row.booted() ? "" : row.source(),
            row.latencyMs(),
            row.failed() ? "  ERROR " + row.error() : "",
            (System.nanoTime() - startedNanos) / 1e9);
        if (!fallback.isEmpty()) {
          out.printf("    fallback on %s: %s%n", row.node(), fallback);
        }
      }
      awaitScaledToZero(gateway);
      if (c.mode() == SnapshotMode.REMOTE) {
        awaitStored();
      }
    }
  }

  /**
   * Silence in remote mode: also until the object store holds every function's snapshot, so that a
   * round's cold starts do not meet the uploads of the last (a maker compressing and uploading is
   * slow to serve its peers: in the demo's first runs with peers, the next round's restores waited
   * a peer's deadline and then storage, 1–2 s, while the snapshots were still being uploaded).
   */
  private void awaitStored() throws InterruptedException {
    long deadline = System.nanoTime() + SCALE_TO_ZERO.toNanos();
    while (System.nanoTime() < deadline) {
      try {
        List<String> stored = store.snapshots().revisions();
        // The store names a revision's snapshot by the revision and its VMM's and guest's variant.
        if (REVISIONS.stream()
            .allMatch(r -> stored.stream().anyMatch(s -> VariantSnapshotStore.isOf(s, r)))) {
          return;
        }
      } catch (IOException e) {
        out.println("    cannot list the object store: " + e.getMessage());
      }
      Thread.sleep(200);
    }
  }

  /** Silence: wait until every instance (and every snapshot being made) is gone. */
  private static void awaitScaledToZero(Gateway gateway) throws InterruptedException {
    long deadline = System.nanoTime() + SCALE_TO_ZERO.toNanos();
    Thread.sleep(300);
    while (System.nanoTime() < deadline) {
      if (gateway.nodes().stream().mapToInt(NodeState::activeInstances).sum() == 0) {
        return;
      }
      Thread.sleep(200);
    }
  }

  private static List<String> revisions() {
    List<String> all = new ArrayList<>(FUNCTIONS.keySet());
    all.add(PYTHON);
    return List.copyOf(all);
  }
}
