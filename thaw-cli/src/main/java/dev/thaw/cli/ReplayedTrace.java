package dev.thaw.cli;

import dev.thaw.bench.LatencyReport;
import dev.thaw.bench.cluster.ReplayedInvocation;
import dev.thaw.core.config.ByteSize;
import dev.thaw.core.stats.LatencySummary;
import dev.thaw.sim.TraceRun;
import java.util.List;

/**
 * A finished replay's invocations as {@code thaw bench trace} reports them: the latency the
 * platform added to cold and warm starts on the terminal, the starts by kind for {@code --json}
 * (which {@code thaw simulate --against} reads back), and the response times for the plots.
 */
record ReplayedTrace(List<ReplayedInvocation> invocations) {
  private static final List<String> KINDS = List.of("cold", "warm");

  ReplayedTrace {
    invocations = List.copyOf(invocations);
  }

  /** Per kind of start, the added latency's percentiles; then the errors, if any. */
  String summary() {
    StringBuilder s = new StringBuilder();
    for (String kind : KINDS) {
      List<Double> ms =
          invocations.stream()
              .filter(r -> r.start().equals(kind))
              .map(ReplayedInvocation::initMs)
              .toList();
      if (!ms.isEmpty()) {
        LatencySummary l = LatencySummary.of(ms);
        s.append(
            String.format(
                "%s: %d invocations, added latency p50 %.0f ms, p90 %.0f ms, p99 %.0f ms%n",
                kind, l.count(), l.p50(), l.p90(), l.p99()));
      }
    }
    long errors = invocations.stream().filter(ReplayedInvocation::failed).count();
    if (errors > 0) {
      s.append(String.format("errors: %d (see invocations.csv)%n", errors));
    }
    return s.toString();
  }

  /** The response times of cold and warm starts, for the report's plots. */
  LatencyReport report(LatencyReport.Provenance provenance) {
    LatencyReport report =
        new LatencyReport("thaw bench trace: response time").provenance(provenance);
    for (String kind : KINDS) {
      report.add(
          kind + " starts",
          invocations.stream()
              .filter(r -> r.start().equals(kind))
              .map(ReplayedInvocation::responseMs)
              .toList());
    }
    return report;
  }

  /** What {@code --json} writes: the options of this replay and the starts the agents reported. */
  TraceRun run(BenchTraceCommand o, TraceReplayPlanner.Prepared p) {
    long warm = 0;
    long local = 0;
    long remote = 0;
    long boots = 0;
    long errors = 0;
    for (ReplayedInvocation r : invocations) {
      if (r.failed()) {
        errors++;
      } else if (r.start().equals("warm")) {
        warm++;
      } else if (r.source().equals("local")) {
        local++;
      } else if (r.source().equals("remote")) {
        remote++;
      } else {
        boots++;
      }
    }
    return new TraceRun(
        // As given: a path of this machine has no place in results that are shared.
        o.trace.toString(),
        o.functions,
        p.minutes().toString(),
        p.plan().minuteMillis(),
        o.replay.spread,
        o.nodes,
        o.maxInstances,
        o.replay.mode.toString(),
        o.replay.placement.toString(),
        o.keepAlive.toMillis(),
        ByteSize.parse(o.cachePerNode),
        o.seed,
        new TraceRun.StartCounts(invocations.size(), warm, local, remote, boots, errors),
        // Every agent runs on this machine: their starts share its cores.
        Runtime.getRuntime().availableProcessors());
  }
}
