package dev.thaw.cli;

import dev.thaw.bench.plot.SimulationReport;
import dev.thaw.bench.plot.SimulationTable;
import dev.thaw.core.config.ByteSize;
import dev.thaw.core.trace.MinuteRange;
import dev.thaw.core.trace.TraceFunction;
import dev.thaw.sim.HonestyCheck;
import dev.thaw.sim.SimConfig;
import dev.thaw.sim.SimModel;
import dev.thaw.sim.SimResult;
import dev.thaw.sim.Simulator;
import dev.thaw.sim.TraceRun;
import dev.thaw.sim.Workload;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code thaw simulate}: a trace on a simulated cluster, the policies side by side. */
@Command(
    name = "simulate",
    mixinStandardHelpOptions = true,
    description = {
      "Replays a trace on a simulated cluster of N nodes on a virtual clock.",
      "It drives Thaw's own cache, eviction, placement and keep-alive code; start",
      "latencies and sizes come from this machine's bench results (--model).",
      "Prints a table per configuration.",
      "Every option and the trace are checked first: each problem is one line on stderr",
      "('refused: ...') and the exit status is 2. With --against, the exit status is 1",
      "when the honesty check fails."
    })
final class SimulateCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--trace",
      description =
          "Directory of an Azure Functions 2019 trace (or thaw bench gen-trace output)."
              + " Required unless --against names one.")
  Path trace;

  @Option(
      names = "--functions",
      defaultValue = "0",
      description = "Functions sampled from the trace; 0: all (default: ${DEFAULT-VALUE}).")
  int functions;

  @Mixin ReplayOptions replay = new ReplayOptions("0-1440");

  @Option(
      names = "--nodes",
      defaultValue = "1000",
      description = "Nodes (default: ${DEFAULT-VALUE}).")
  int nodes;

  @Option(
      names = "--cache-per-node",
      defaultValue = "10GiB",
      description = "Snapshot cache of each node (default: ${DEFAULT-VALUE}).")
  String cachePerNode;

  @Option(
      names = "--max-instances",
      defaultValue = "64",
      description = "Instances per node, busy or idle (default: ${DEFAULT-VALUE}).")
  int maxInstances;

  @Option(
      names = "--eviction",
      defaultValue = "lru",
      description = "lru or gdsf (default: ${DEFAULT-VALUE}).")
  String eviction;

  @Option(
      names = "--keep-alive",
      defaultValue = "fixed",
      description =
          "fixed, or hybrid (the histogram policy of Serverless in the Wild)"
              + " (default: ${DEFAULT-VALUE}).")
  String keepAlive;

  @Option(
      names = "--keep-alive-window",
      defaultValue = "10m",
      converter = DurationConverter.class,
      description = "The fixed window, and hybrid's fallback (default: ${DEFAULT-VALUE}).")
  Duration keepAliveWindow;

  @Option(
      names = "--prefetch",
      defaultValue = "off",
      description =
          "off, or predicted (snapshots fetched ahead from inter-arrival histograms)"
              + " (default: ${DEFAULT-VALUE}).")
  String prefetch;

  @Option(
      names = "--compare",
      arity = "0..1",
      fallbackValue = "placement,eviction,keep-alive,prefetch",
      description =
          "Run every combination of the named policies (placement, eviction, keep-alive,"
              + " prefetch; all four when none is named) side by side.")
  String compare;

  @Option(
      names = "--peers",
      defaultValue = "off",
      description =
          "off, on or both: whether a node fetches a snapshot from peers that cache it before"
              + " remote storage; both runs each configuration without and with peers and sets"
              + " their requests side by side (default: ${DEFAULT-VALUE}).")
  String peers;

  @Option(
      names = "--peer-uploads",
      defaultValue = "4",
      description =
          "Uploads a peer serves at once, as the agents' --peer-uploads (default: ${DEFAULT-VALUE}).")
  int peerUploads;

  @Option(
      names = "--peers-asked",
      defaultValue = "2",
      description = "Peers a node asks before it fetches from storage (default: ${DEFAULT-VALUE}).")
  int peersAsked;

  @Option(
      names = "--peer-gbps",
      defaultValue = "10",
      description =
          "A peer's upload bandwidth in Gbit/s, shared by its uploads (default: ${DEFAULT-VALUE}).")
  double peerGbps;

  @Option(
      names = "--model",
      description =
          "JSON written by thaw bench vm, snapshots, remote or warm --json; overrides the"
              + " committed model, in order. Repeatable.")
  List<Path> model = new ArrayList<>();

  @Option(
      names = "--cores-per-node",
      description =
          "Cores of each node, shared by the starts in progress on it (a boot on a node with k"
              + " starts on C cores goes at C/k of its bench pace when k > C); 0: starts never"
              + " contend. Default: the cores of the machine the model was measured on.")
  Integer coresPerNode;

  @Option(
      names = "--seed",
      defaultValue = "1",
      description = "Seed of arrivals, placement ties and latencies (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--report",
      description = "Write report.html with plots and the sweeps into this directory.")
  Path report;

  @Option(
      names = "--sweep-nodes",
      split = ",",
      defaultValue = "10,50,100,500,1000,5000",
      description = "Cluster sizes of the report's sweep (default: ${DEFAULT-VALUE}).")
  List<Integer> sweepNodes;

  @Option(
      names = "--sweep-cache",
      split = ",",
      defaultValue = "1GiB,2GiB,4GiB,8GiB,16GiB",
      description = "Caches per node of the report's sweep (default: ${DEFAULT-VALUE}).")
  List<String> sweepCache;

  @Option(
      names = "--against",
      description =
          "JSON of thaw bench trace --json: simulate the very same invocations with the same"
              + " options and set the measured and simulated starts side by side.")
  Path against;

  @Mixin JsonOutput json;

  @Override
  public Integer call() throws Exception {
    SimulationPlan plan;
    try {
      plan = SimulationPlan.prepare(this);
    } catch (Refusal r) {
      return r.print(System.err);
    }
    System.out.printf(
        Locale.ROOT,
        "thaw simulate: %d functions, %,d invocations, minutes %s; %s%n",
        plan.functions().size(),
        plan.workload().invocations(),
        plan.range(),
        String.join("; ", plan.model().sources()));
    List<SimResult> results = new ArrayList<>();
    for (SimConfig c : plan.configs()) {
      results.add(run(plan, c));
    }
    System.out.println();
    System.out.print(SimulationTable.of(results));
    if (!"off".equalsIgnoreCase(peers)) {
      System.out.println();
      System.out.print(PeerTable.of(results));
    }
    HonestyCheck check = null;
    if (plan.measured() != null) {
      check = new HonestyCheck(plan.measured().counts(), TraceRun.StartCounts.of(results.get(0)));
      System.out.println();
      System.out.print(check.table());
      System.out.println(
          "honesty check: "
              + (check.passes()
                  ? "passes (counts within 10%, local-hit share within 5 points)"
                  : "FAILS"));
    }
    List<SimResult> byNodes = new ArrayList<>();
    List<SimResult> byCache = new ArrayList<>();
    if (report != null) {
      SimConfig base = plan.configs().get(0);
      for (int n : sweepNodes) {
        for (String p : List.of("default", "snapshot-aware")) {
          byNodes.add(run(plan, base.toBuilder().nodes(n).placement(p).build()));
        }
      }
      for (String size : sweepCache) {
        for (String p : List.of("default", "snapshot-aware")) {
          for (String e : List.of("lru", "gdsf")) {
            byCache.add(
                run(
                    plan,
                    base.toBuilder()
                        .cacheBytesPerNode(ByteSize.parse(size))
                        .placement(p)
                        .eviction(e)
                        .build()));
          }
        }
      }
      Path page =
          SimulationReport.write(
              report,
              Reports.provenance(spec, null),
              new SimulationReport.Simulated(
                  plan.trace(), plan.range(), plan.functions().size(), plan.model().sources()),
              results,
              byNodes,
              byCache);
      System.out.println("report with plots: " + page);
    }
    json.write(
        doc -> {
          doc.put("trace", plan.trace().toString());
          doc.put("minutes", plan.range().toString());
          doc.put("functions", plan.functions().size());
          doc.put("model", plan.model());
          doc.put("results", results.stream().map(SimulateCommand::json).toList());
          if (report != null) {
            doc.put("sweepNodes", byNodes.stream().map(SimulateCommand::json).toList());
            doc.put("sweepCache", byCache.stream().map(SimulateCommand::json).toList());
          }
        },
        System.out);
    // A failed honesty check is the run's verdict, not a usage error: status 1.
    return check != null && !check.passes() ? 1 : 0;
  }

  private static SimResult run(SimulationPlan plan, SimConfig c) {
    System.out.printf(
        Locale.ROOT,
        "  running %s on %d nodes, %s cache each, %s…%n",
        c.label(),
        c.nodes(),
        ByteSize.format(c.cacheBytesPerNode()),
        c.coresPerHost() == 0
            ? "starts not contending for cores"
            : c.nodesPerHost() == 1
                ? c.coresPerHost() + " cores each"
                : c.coresPerHost() + " cores shared by " + c.nodesPerHost() + " nodes");
    SimResult r = new Simulator(plan.workload(), c, plan.model()).run(System.out::println);
    System.out.printf(
        Locale.ROOT,
        "  %s: %,d invocations in %.1f s, %,.0f invocations/s%n",
        c.label(),
        r.invocations(),
        r.wallSeconds(),
        r.invocationsPerSecond());
    return r;
  }

  static Map<String, Object> json(SimResult r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("configuration", r.configuration());
    m.put("nodes", r.nodes());
    m.put("cacheBytesPerNode", r.cacheBytesPerNode());
    m.put("invocations", r.invocations());
    m.put("warm", r.warm());
    m.put("localRestores", r.localRestores());
    m.put("remoteRestores", r.remoteRestores());
    m.put("boots", r.boots());
    m.put("rejected", r.rejected());
    m.put("prewarms", r.prewarms());
    m.put("prefetches", r.prefetches());
    m.put("localHitShare", r.localHitShare());
    m.put("remoteBytes", r.remoteBytes());
    m.put("storageRequests", r.fetches().storageRequests());
    m.put("peerRequests", r.fetches().peerRequests());
    m.put("peerFetches", r.fetches().peerFetches());
    m.put("peerBytes", r.fetches().peerBytes());
    m.put("p50ColdStartMs", r.fetches().p50ColdStartMs());
    m.put("p99ColdStartMs", r.fetches().p99ColdStartMs());
    m.put("p50StartMs", r.p50StartMs());
    m.put("p99StartMs", r.p99StartMs());
    m.put("idleGibHours", r.idleGibHours());
    m.put("wallSeconds", r.wallSeconds());
    m.put("invocationsPerSecond", r.invocationsPerSecond());
    return m;
  }

  /** The checked options and the trace, ready to run: nothing run yet. */
  record SimulationPlan(
      Path trace,
      MinuteRange range,
      List<TraceFunction> functions,
      Workload workload,
      SimModel model,
      List<SimConfig> configs,
      TraceRun measured) {

    static SimulationPlan prepare(SimulateCommand o) throws Refusal {
      return new SimulationPlanner(o).plan();
    }
  }
}
