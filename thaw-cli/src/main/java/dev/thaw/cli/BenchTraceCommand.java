package dev.thaw.cli;

import dev.thaw.bench.LatencyReport;
import dev.thaw.core.function.Revision;
import dev.thaw.core.io.FileTrees;
import dev.thaw.core.placement.PlacementScorer;
import dev.thaw.core.snapshot.SnapshotMode;
import dev.thaw.core.stats.LatencySummary;
import dev.thaw.core.trace.AzureTrace;
import dev.thaw.core.trace.ReplayPlan;
import dev.thaw.core.trace.TraceFunction;
import dev.thaw.node.gateway.Gateway;
import dev.thaw.qemu.GuestImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code thaw bench trace}: replays an Azure Functions trace against a local cluster. */
@Command(
    name = "trace",
    mixinStandardHelpOptions = true,
    description = {
      "Replays an Azure Functions 2019 trace against agents and a gateway on this machine.",
      "Writes per-invocation and per-minute CSV files and a report with plots."
    })
final class BenchTraceCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  /** A pessimistic cold start (a boot under TCG) for the up-front capacity check. */
  private static final long COLD_START_MS = 8_000;

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

  @Option(
      names = "--minutes",
      defaultValue = "0-2",
      description = "Trace minutes to replay, FROM-TO, TO excluded (default: ${DEFAULT-VALUE}).")
  String minutes;

  @Option(
      names = "--time-scale",
      defaultValue = "6",
      description = "Replay this many times faster than real time (default: ${DEFAULT-VALUE}).")
  double timeScale;

  @Option(
      names = "--spread",
      defaultValue = "exponential",
      description =
          "Arrivals within a minute: exponential, uniform, equidistant (default: ${DEFAULT-VALUE}).")
  String spread;

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
      names = "--mode",
      defaultValue = "remote",
      description = "Snapshot mode of the agents (default: ${DEFAULT-VALUE}).")
  String mode;

  @Option(
      names = "--placement",
      defaultValue = "snapshot-aware",
      description = "default or snapshot-aware (default: ${DEFAULT-VALUE}).")
  String placement;

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

  @Override
  public Integer call() throws Exception {
    String[] range = minutes.split("-");
    int from = Integer.parseInt(range[0].trim());
    int to = Integer.parseInt(range[1].trim());
    List<TraceFunction> all = AzureTrace.read(trace);
    List<TraceFunction> active = new ArrayList<>();
    for (TraceFunction f : all) {
      long n = 0;
      for (int m = from; m < to; m++) {
        n += f.perMinute()[m];
      }
      if (n > 0) {
        active.add(f);
      }
    }
    Collections.shuffle(active, new Random(seed));
    List<TraceFunction> sample = active.subList(0, Math.min(functions, active.size()));
    ReplayPlan plan =
        ReplayPlan.of(
            sample,
            from,
            to,
            Math.round(60_000 / timeScale),
            ReplayPlan.Spread.parse(spread),
            seed);
    int peak = plan.peakConcurrency(COLD_START_MS);
    int capacity = nodes * maxInstances;
    if (peak > capacity) {
      System.err.printf(
          "refused: this trace needs up to %d instances at once (if every invocation were a cold"
              + " start), and %d nodes x %d instances run %d. Sample fewer functions (--functions),"
              + " fewer minutes (--minutes), or replay slower (--time-scale).%n",
          peak, nodes, maxInstances, capacity);
      return 2;
    }
    System.out.printf(
        "thaw bench trace: %d of %d functions, minutes %d-%d at %.1fx, %d invocations, peak %d"
            + " instances of %d%n",
        sample.size(), all.size(), from, to, timeScale, plan.invocations().size(), peak, capacity);
    GuestImage.ensure(System.out::println);
    Path root = Files.createTempDirectory("thaw-trace-");
    try (S3Options.Remote s3 = S3Options.embedded(root.resolve("s3"));
        LocalCluster cluster =
            LocalCluster.start(
                new LocalCluster.Config(
                    nodes,
                    root,
                    SnapshotMode.parse(mode),
                    true,
                    s3.endpoint(),
                    s3.credentials(),
                    keepAlive,
                    maxInstances))) {
      Gateway.Builder b = Gateway.builder().scorer(PlacementScorer.named(placement)).seed(seed);
      cluster.agents().forEach(b::node);
      try (Gateway gateway = b.build()) {
        for (int i = 0; i < sample.size(); i++) {
          gateway.deploy(
              Revision.of(TraceReplayer.revision(i)), TraceReplayer.functionFor(i, sample.get(i)));
        }
        List<TraceReplayer.Record> records = TraceReplayer.run(plan, gateway, System.out);
        TraceReplayer.write(records, plan.minutes(), out);
        summarize(records);
        LatencyReport report =
            new LatencyReport("thaw bench trace: response time")
                .provenance(Reports.provenance(spec, out.resolve("invocations.csv")));
        for (String kind : List.of("cold", "warm")) {
          report.add(
              kind + " starts",
              records.stream()
                  .filter(r -> r.start().equals(kind))
                  .map(TraceReplayer.Record::responseMs)
                  .toList());
        }
        System.out.println("report with plots: " + report.write(out));
      }
    } finally {
      FileTrees.deleteQuietly(root);
    }
    System.out.println(
        "results: " + out.resolve("invocations.csv") + ", " + out.resolve("minutes.csv"));
    return 0;
  }

  private static void summarize(List<TraceReplayer.Record> records) {
    for (String kind : List.of("cold", "warm")) {
      List<Double> ms =
          records.stream()
              .filter(r -> r.start().equals(kind))
              .map(TraceReplayer.Record::initMs)
              .toList();
      if (!ms.isEmpty()) {
        LatencySummary s = LatencySummary.of(ms);
        System.out.printf(
            "%s: %d invocations, added latency p50 %.0f ms, p90 %.0f ms, p99 %.0f ms%n",
            kind, s.count(), s.p50(), s.p90(), s.p99());
      }
    }
    long errors = records.stream().filter(r -> !r.error().isEmpty()).count();
    if (errors > 0) {
      System.out.println("errors: " + errors + " (see invocations.csv)");
    }
  }
}
