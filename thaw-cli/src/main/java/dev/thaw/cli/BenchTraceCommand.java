package dev.thaw.cli;

import dev.thaw.bench.cluster.LocalCluster;
import dev.thaw.bench.cluster.ReplayCsv;
import dev.thaw.bench.cluster.TraceReplayer;
import dev.thaw.core.config.ByteSize;
import dev.thaw.core.function.Revision;
import dev.thaw.core.io.FileTrees;
import dev.thaw.core.trace.TraceFunction;
import dev.thaw.http.BearerToken;
import dev.thaw.node.gateway.Gateway;
import dev.thaw.node.protocol.AgentClient;
import dev.thaw.qemu.GuestImage;
import dev.thaw.sim.SimConfig;
import dev.thaw.sim.SimModel;
import dev.thaw.sim.Simulator;
import dev.thaw.sim.Workload;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.eclipse.jetty.client.HttpClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code thaw bench trace}: replays an Azure Functions trace against a local cluster. {@link
 * TraceReplayPlanner} checks the options and plans the replay; this command starts the cluster,
 * replays the plan and writes what {@link ReplayedTrace} reports.
 */
@Command(
    name = "trace",
    mixinStandardHelpOptions = true,
    description = {
      "Replays an Azure Functions 2019 trace against agents and a gateway on this machine.",
      "Writes per-invocation and per-minute CSV files and a report with plots.",
      "Every option and the trace are checked before anything starts: each problem is one",
      "line on stderr ('refused: ...') and the exit status is 2."
    })
final class BenchTraceCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--trace",
      required = true,
      description = "Directory holding the trace's CSV files.")
  Path trace;

  @Option(
      names = "--functions",
      defaultValue = "4",
      description = "Functions sampled from the trace (default: ${DEFAULT-VALUE}).")
  int functions;

  @Mixin ReplayOptions replay = new ReplayOptions("0-2");

  @Option(
      names = "--time-scale",
      defaultValue = "6",
      description = "Replay this many times faster than real time (default: ${DEFAULT-VALUE}).")
  double timeScale;

  @Option(
      names = "--nodes",
      defaultValue = "2",
      description = "Node agents (default: ${DEFAULT-VALUE}).")
  int nodes;

  @Option(
      names = "--max-instances",
      defaultValue = "6",
      description = "Instances per node (default: ${DEFAULT-VALUE}).")
  int maxInstances;

  @Option(
      names = "--keep-alive",
      defaultValue = "60s",
      converter = DurationConverter.class,
      description = "Agents' keep-alive (default: ${DEFAULT-VALUE}).")
  Duration keepAlive;

  @Option(
      names = "--seed",
      defaultValue = "1",
      description = "Seed of sampling and arrivals (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--out",
      defaultValue = "thaw-trace-results",
      description = "Directory for the CSV files (default: ${DEFAULT-VALUE}).")
  Path out;

  @Option(
      names = "--cache-per-node",
      defaultValue = "${env:THAW_CACHE_CAPACITY:-10GiB}",
      description = "Each agent's snapshot cache bound, e.g. 512MiB (default: ${DEFAULT-VALUE}).")
  String cachePerNode;

  @Option(
      names = "--prefetch",
      defaultValue = "off",
      description =
          "The agents' --prefetch: off, predicted, or both (the trace replayed once each way,"
              + " printed side by side with the simulator's run of it) (default: ${DEFAULT-VALUE}).")
  String prefetch;

  @Option(
      names = "--model",
      description =
          "With --prefetch both: the simulator's model from these bench JSON files, later ones"
              + " overriding earlier ones (default: the committed defaults).")
  List<Path> model = new ArrayList<>();

  @Mixin JsonOutput json;

  @Option(
      names = "--dry-run",
      description =
          "Check the options and the trace, print the plan, and stop: nothing is started.")
  boolean dryRun;

  @Override
  public Integer call() throws Exception {
    TraceReplayPlanner.Prepared p;
    try {
      p = new TraceReplayPlanner(this).prepare();
    } catch (Refusal r) {
      return r.print(System.err);
    }
    System.out.printf(
        Locale.ROOT,
        "thaw bench trace: %d of %d functions, minutes %s at %.1fx, %d invocations, peak %d"
            + " instances of %d%n",
        p.sample().size(),
        p.functionsInTrace(),
        p.minutes(),
        timeScale,
        p.plan().invocations().size(),
        p.peak(),
        p.capacity());
    if (dryRun) {
      System.out.println("dry run: the options and the trace are valid; nothing was started");
      return 0;
    }
    if (!prefetch.equals("both")) {
      replay(p, prefetch, out);
      System.out.println(
          "results: " + out.resolve(ReplayCsv.INVOCATIONS) + ", " + out.resolve(ReplayCsv.MINUTES));
      return 0;
    }
    SimModel m = model.isEmpty() ? SimModel.defaults() : SimModel.withBenchFiles(model);
    PrefetchComparison compared = new PrefetchComparison();
    for (String way : List.of("off", "predicted")) {
      System.out.println("replaying with the agents' prefetch " + way);
      Replayed r = replay(p, way, out.resolve("prefetch-" + way));
      compared.measured("agents, prefetch " + way, r.trace().invocations(), r.prefetches());
    }
    for (boolean predicted : List.of(false, true)) {
      compared.simulated(
          "simulated, prefetch " + (predicted ? "predicted" : "off"),
          new Simulator(Workload.of(p.plan(), p.sample()), simConfig(p, predicted), m)
              .run(line -> {}));
    }
    System.out.println();
    System.out.print(compared.render());
    System.out.println(
        "results: " + out.resolve("prefetch-off") + ", " + out.resolve("prefetch-predicted"));
    return 0;
  }

  /** The simulator's settings for this replay: the agents', all on this machine's cores. */
  private SimConfig simConfig(TraceReplayPlanner.Prepared p, boolean predicted) {
    return SimConfig.builder()
        .nodes(nodes)
        .cacheBytesPerNode(ByteSize.parse(cachePerNode))
        .instancesPerNode(maxInstances)
        .placement(replay.placement.toString())
        .eviction("lru")
        .keepAlive("fixed")
        .keepAliveWindow(keepAlive)
        .prefetch(predicted)
        .mode(p.mode())
        .seed(seed)
        .cores(Runtime.getRuntime().availableProcessors(), nodes)
        .build();
  }

  /** A replay's invocations, and the snapshots its agents fetched ahead. */
  private record Replayed(ReplayedTrace trace, long prefetches) {}

  private Replayed replay(TraceReplayPlanner.Prepared p, String way, Path out) throws Exception {
    GuestImage.ensure(System.out::println);
    Path root = Files.createTempDirectory("thaw-trace-");
    // Ctrl-C runs shutdown hooks, not finally blocks: the hook removes the directory then.
    Thread cleanup = new Thread(() -> FileTrees.deleteQuietly(root), "thaw-trace-cleanup");
    Runtime.getRuntime().addShutdownHook(cleanup);
    List<TraceFunction> sample = p.sample();
    // The agents live as long as this run: a token of the run's own, never written down.
    BearerToken token = BearerToken.generate();
    // The agents' prefetch predictor counts in trace minutes, as the simulator does.
    Map<String, String> env =
        Map.of(
            "THAW_CACHE_CAPACITY", cachePerNode,
            "THAW_PREFETCH", way,
            "THAW_PREFETCH_MINUTE", p.plan().minuteMillis() + "ms");
    try (S3Options.Remote s3 = S3Options.embedded(root.resolve("s3"));
        LocalCluster cluster =
            LocalCluster.start(
                new LocalCluster.Config(
                    nodes,
                    root,
                    p.mode(),
                    true,
                    s3.endpoint(),
                    s3.credentials(),
                    keepAlive,
                    maxInstances,
                    token),
                env)) {
      Gateway.Builder b = replay.placement.applyTo(Gateway.builder().token(token)).seed(seed);
      cluster.agents().forEach(b::node);
      try (Gateway gateway = b.build()) {
        for (int i = 0; i < sample.size(); i++) {
          gateway.deploy(
              Revision.of(TraceReplayer.revision(i)), TraceReplayer.functionFor(i, sample.get(i)));
        }
        ReplayedTrace replayed =
            new ReplayedTrace(TraceReplayer.run(p.plan(), gateway, System.out));
        ReplayCsv.write(replayed.invocations(), p.plan().minutes(), out);
        System.out.print(replayed.summary());
        json.write(doc -> doc.put("benchTrace", replayed.run(this, p)), System.out);
        Path page =
            replayed
                .report(Reports.provenance(spec, out.resolve(ReplayCsv.INVOCATIONS)))
                .write(out);
        System.out.println("report with plots: " + page);
        return new Replayed(replayed, prefetchesMade(cluster, token));
      }
    } finally {
      FileTrees.deleteQuietly(root);
      try {
        Runtime.getRuntime().removeShutdownHook(cleanup);
      } catch (IllegalStateException shuttingDown) {
        // The hook runs (or ran) anyway.
      }
    }
  }

  /** The prefetches the agents made, from their meters. */
  private static long prefetchesMade(LocalCluster cluster, BearerToken token) throws Exception {
    HttpClient http = AgentClient.newHttp();
    try {
      long made = 0;
      for (URI agent : cluster.agents().values()) {
        for (String line : new AgentClient(agent, http, token).metrics().split("\n")) {
          if (line.startsWith("thaw_snapshot_prefetches_total{")
              && line.contains("outcome=\"made\"")) {
            made += Math.round(Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)));
          }
        }
      }
      return made;
    } finally {
      AgentClient.stop(http);
    }
  }
}
