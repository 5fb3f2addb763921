package dev.thaw.cli;

import dev.thaw.bench.CsvField;
import dev.thaw.bench.LatencyReport;
import dev.thaw.bench.TextTable;
import dev.thaw.bench.TextTable.Column;
import dev.thaw.bench.cluster.LocalCluster;
import dev.thaw.core.function.BuiltinFunctions;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.function.Revision;
import dev.thaw.core.io.FileTrees;
import dev.thaw.core.placement.NodeState;
import dev.thaw.core.placement.PlacementScorer;
import dev.thaw.core.snapshot.SnapshotMode;
import dev.thaw.core.snapshot.SnapshotStore;
import dev.thaw.core.stats.LatencySummary;
import dev.thaw.http.BearerToken;
import dev.thaw.image.ExampleImages;
import dev.thaw.node.gateway.Gateway;
import dev.thaw.node.protocol.ColdStartReport;
import dev.thaw.node.protocol.ImageDeployment;
import dev.thaw.node.protocol.Refused;
import dev.thaw.node.protocol.Served;
import dev.thaw.qemu.GuestImage;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code thaw demo}: a serverless cluster on this machine — the embedded S3 server, node agents as
 * separate processes and the gateway — replaying the thesis' evaluation pattern under its five
 * configurations, and a table of cold-start latency.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Runs a serverless cluster on this machine and compares five snapshot configurations.",
      "Starts the embedded S3 server, N node agents and the gateway, deploys four built-in",
      "functions and a Python function from an OCI image the project builds (python),",
      "and replays rounds of invocations separated by silence (so every",
      "invocation is a cold start) under five configurations: no snapshots, local snapshots,",
      "remote without cache, remote cached, and remote cached with snapshot-aware placement."
    })
final class DemoCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--nodes",
      defaultValue = "2",
      description = "Node agents (default: ${DEFAULT-VALUE}).")
  int nodes;

  @Option(
      names = "--rounds",
      defaultValue = "4",
      description =
          "Rounds of invocations per configuration; the first creates the snapshots (default: ${DEFAULT-VALUE}).")
  int rounds;

  @Option(
      names = "--keep-alive",
      defaultValue = "1s",
      converter = DurationConverter.class,
      description =
          "Agents' keep-alive; silence between rounds outlasts it (default: ${DEFAULT-VALUE}).")
  Duration keepAlive;

  @Option(
      names = "--seed",
      defaultValue = "2026",
      description = "Seed of placement tie-breaks (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--out",
      defaultValue = "thaw-demo-results",
      description = "Directory for the per-invocation CSV (default: ${DEFAULT-VALUE}).")
  Path out;

  private final PrintStream console = System.out;

  /** The thesis' Figure 6.5 configurations. */
  private record Configuration(
      String name, SnapshotMode mode, boolean cacheRemote, PlacementScorer scorer) {}

  /** One invocation's record. */
  record Row(
      String configuration,
      int round,
      String function,
      String node,
      String start,
      String source,
      String placementMs,
      long fetchMs,
      long startupMs,
      double latencyMs,
      String error) {}

  private static final List<Configuration> CONFIGURATIONS =
      List.of(
          new Configuration(
              "no snapshots", SnapshotMode.DISABLED, true, PlacementScorer.spreading()),
          new Configuration(
              "local snapshots", SnapshotMode.LOCAL, true, PlacementScorer.spreading()),
          new Configuration(
              "remote, no cache", SnapshotMode.REMOTE, false, PlacementScorer.spreading()),
          new Configuration(
              "remote, cached", SnapshotMode.REMOTE, true, PlacementScorer.spreading()),
          new Configuration(
              "remote, cached, snapshot-aware",
              SnapshotMode.REMOTE,
              true,
              PlacementScorer.snapshotAware(0.5)));

  /** Four functions: two handlers, two memory shapes of state (also what bench soak cycles). */
  static final Map<String, FunctionSpec> FUNCTIONS = new LinkedHashMap<>();

  static {
    FUNCTIONS.put("hello", BuiltinFunctions.HELLO);
    FUNCTIONS.put("stateful", BuiltinFunctions.STATEFUL);
    FUNCTIONS.put("stateful-64", new FunctionSpec("stateful-64", 256, 1, "stateful", 64));
    FUNCTIONS.put("hello-small", new FunctionSpec("hello-small", 128, 1, "hello", 0));
  }

  /** The function from an image: the project's Python HTTP function. */
  static final String PYTHON = "python";

  private List<String> revisions = List.of();
  private ImageDeployment python;

  @Override
  public Integer call() throws Exception {
    if (nodes < 1 || rounds < 2) {
      throw new IllegalArgumentException("need --nodes >= 1 and --rounds >= 2");
    }
    long t0 = System.nanoTime();
    GuestImage.ensure(console::println);
    python = ImageDeployment.of(ExampleImages.ensure(console::println).python().toString());
    List<String> all = new ArrayList<>(FUNCTIONS.keySet());
    all.add(PYTHON);
    revisions = List.copyOf(all);
    Path root = Files.createTempDirectory("thaw-demo-");
    // Ctrl-C: the agents get SIGTERM from their parent-death signal and stop their VMs;
    // this removes their data.
    Thread cleanup = new Thread(() -> FileTrees.deleteQuietly(root), "thaw-demo-cleanup");
    Runtime.getRuntime().addShutdownHook(cleanup);
    List<Row> rows = new ArrayList<>();
    // The agents' management token, in the demo's data directory (0600), gone with it.
    BearerToken token = TokenFile.readOrCreate(root.resolve("token"));
    try (S3Options.Remote s3 = S3Options.embedded(root.resolve("s3"))) {
      SnapshotStore store = s3.store();
      console.printf(
          "thaw demo: %d nodes, %d functions, %d rounds x %d configurations; embedded S3 at %s%n",
          nodes, revisions.size(), rounds, CONFIGURATIONS.size(), s3.endpoint());
      int index = 0;
      for (Configuration c : CONFIGURATIONS) {
        index++;
        for (String revision : store.revisions()) {
          store.delete(revision);
        }
        console.printf("[%d/%d] %s%n", index, CONFIGURATIONS.size(), c.name());
        Path dir = Files.createDirectories(root.resolve("run-" + index));
        try (LocalCluster cluster =
                LocalCluster.start(
                    new LocalCluster.Config(
                        nodes,
                        dir,
                        c.mode(),
                        c.cacheRemote(),
                        s3.endpoint(),
                        s3.credentials(),
                        keepAlive,
                        8,
                        token));
            Gateway gateway = gateway(cluster, c.scorer(), token)) {
          replay(c, gateway, rows, t0);
        }
      }
    } finally {
      FileTrees.deleteQuietly(root);
      Runtime.getRuntime().removeShutdownHook(cleanup);
    }
    Path csv = writeCsv(rows);
    printTable(rows);
    LatencyReport report =
        new LatencyReport("thaw demo: cold-start latency, rounds 2.." + rounds)
            .provenance(Reports.provenance(spec, csv));
    for (Configuration c : CONFIGURATIONS) {
      report.add(
          c.name(),
          rows.stream()
              .filter(r -> r.configuration().equals(c.name()) && r.round() > 1)
              .filter(r -> r.start().equals("cold"))
              .map(Row::latencyMs)
              .toList());
    }
    Path page = report.write(out);
    console.printf(
        "%nper-invocation results: %s (%d invocations, %.0f s)%nreport with plots: %s%n",
        csv.toAbsolutePath(), rows.size(), (System.nanoTime() - t0) / 1e9, page.toAbsolutePath());
    return rows.stream().anyMatch(r -> !r.error().isEmpty()) ? 1 : 0;
  }

  private Gateway gateway(LocalCluster cluster, PlacementScorer scorer, BearerToken token) {
    Gateway.Builder b =
        Gateway.builder()
            .token(token)
            .scorer(scorer)
            .seed(seed)
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

  private void replay(Configuration c, Gateway gateway, List<Row> rows, long t0)
      throws InterruptedException {
    for (int round = 1; round <= rounds; round++) {
      for (String revision : revisions) {
        long s = System.nanoTime();
        Row row;
        String fallback = "";
        try {
          Gateway.Result r = gateway.invoke(Revision.of(revision), "/");
          Served served = r.served();
          fallback = served.coldStart().flatMap(ColdStartReport::fallback).orElse("");
          row =
              new Row(
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
              new Row(
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
        rows.add(row);
        console.printf(
            Locale.ROOT,
            "  round %d/%d %-12s %-7s %-5s %-6s %7.0f ms%s   [%.0f s]%n",
            round,
            rounds,
            revision,
            row.node(),
            row.start(),
            row.source(),
            row.latencyMs(),
            row.error().isEmpty() ? "" : "  ERROR " + row.error(),
            (System.nanoTime() - t0) / 1e9);
        if (!fallback.isEmpty()) {
          console.printf("    fallback on %s: %s%n", row.node(), fallback);
        }
      }
      awaitScaledToZero(gateway);
    }
  }

  /** Silence: wait until every instance (and every snapshot being made) is gone. */
  private static void awaitScaledToZero(Gateway gateway) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
    Thread.sleep(300);
    while (System.nanoTime() < deadline) {
      if (gateway.nodes().stream().mapToInt(NodeState::activeInstances).sum() == 0) {
        return;
      }
      Thread.sleep(200);
    }
  }

  private static String ms(double v) {
    return String.format(Locale.ROOT, "%.0f", v);
  }

  private Path writeCsv(List<Row> rows) throws java.io.IOException {
    Files.createDirectories(out);
    Path csv = out.resolve("demo-invocations.csv");
    try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(csv))) {
      w.println(
          "configuration,round,function,node,start,source,placement_ms,fetch_ms,startup_ms,latency_ms,error");
      for (Row r : rows) {
        w.printf(
            Locale.ROOT,
            "%s,%d,%s,%s,%s,%s,%s,%d,%d,%.1f,%s%n",
            CsvField.of(r.configuration()),
            r.round(),
            r.function(),
            r.node(),
            r.start(),
            r.source(),
            r.placementMs(),
            r.fetchMs(),
            r.startupMs(),
            r.latencyMs(),
            CsvField.of(r.error()));
      }
    }
    return csv;
  }

  private void printTable(List<Row> rows) {
    console.println();
    console.printf(
        "cold-start latency, rounds 2..%d (round 1 boots every function to create its snapshot)%n",
        rounds);
    TextTable table =
        TextTable.of(
            Column.left("configuration", 32),
            Column.right("n", 6),
            Column.right("mean ms", 8),
            Column.right("p50 ms", 8),
            Column.right("p90 ms", 8),
            Column.right("p99 ms", 8),
            Column.right("local hits", 10),
            Column.right("boots", 8));
    for (Configuration c : CONFIGURATIONS) {
      List<Row> cold =
          rows.stream()
              .filter(r -> r.configuration().equals(c.name()) && r.round() > 1)
              .filter(r -> r.start().equals("cold"))
              .toList();
      if (cold.isEmpty()) {
        table.row(c.name(), 0, "-", "-", "-", "-", "-", "-");
        continue;
      }
      LatencySummary s = LatencySummary.of(cold.stream().map(Row::latencyMs).toList());
      long local = cold.stream().filter(r -> r.source().equals("local")).count();
      long boots = cold.stream().filter(r -> r.source().equals("none")).count();
      table.row(
          c.name(),
          s.count(),
          ms(s.mean()),
          ms(s.p50()),
          ms(s.p90()),
          ms(s.p99()),
          String.format(Locale.ROOT, "%.0f%%", 100.0 * local / cold.size()),
          boots);
    }
    console.print(table.render());
  }
}
