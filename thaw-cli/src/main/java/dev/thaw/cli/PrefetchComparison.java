package dev.thaw.cli;

import dev.thaw.bench.TextTable;
import dev.thaw.bench.cluster.ReplayedInvocation;
import dev.thaw.core.stats.LatencySummary;
import dev.thaw.sim.SimResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code thaw bench trace --prefetch both}: the same replay with the agents' prefetch off and
 * predicted, next to {@code thaw simulate}'s run of the same invocations with the same settings, in
 * one table: starts by kind, the local-hit share of restores, fetches from remote storage (remote
 * restores plus prefetches) and the median cold start.
 */
final class PrefetchComparison {
  /** One run's figures; {@code coldP50Ms} is NaN when it had no cold start. */
  record Row(
      String run,
      long invocations,
      long warm,
      long local,
      long remote,
      long boots,
      long failed,
      long prefetches,
      double coldP50Ms) {
    /** Local restores as a share of all restores, in percent; NaN without a restore. */
    double localShare() {
      return local + remote == 0 ? Double.NaN : 100.0 * local / (local + remote);
    }

    long remoteFetches() {
      return remote + prefetches;
    }
  }

  private final List<Row> rows = new ArrayList<>();

  /** The agents' run: what they reported of each invocation, and the prefetches they made. */
  void measured(String run, List<ReplayedInvocation> invocations, long prefetches) {
    long warm = 0;
    long local = 0;
    long remote = 0;
    long boots = 0;
    long failed = 0;
    List<Double> cold = new ArrayList<>();
    for (ReplayedInvocation r : invocations) {
      if (r.failed()) {
        failed++;
        continue;
      }
      if (r.start().equals("warm")) {
        warm++;
        continue;
      }
      cold.add(r.initMs());
      switch (r.source()) {
        case "local" -> local++;
        case "remote" -> remote++;
        default -> boots++;
      }
    }
    double p50 = cold.isEmpty() ? Double.NaN : LatencySummary.of(cold).p50();
    rows.add(new Row(run, invocations.size(), warm, local, remote, boots, failed, prefetches, p50));
  }

  /** The simulator's run of the same invocations. */
  void simulated(String run, SimResult r) {
    rows.add(
        new Row(
            run,
            r.invocations(),
            r.warm(),
            r.localRestores(),
            r.remoteRestores(),
            r.boots(),
            r.rejected(),
            r.prefetches(),
            r.fetches().p50ColdStartMs()));
  }

  List<Row> rows() {
    return List.copyOf(rows);
  }

  String render() {
    TextTable t =
        TextTable.of(
            TextTable.Column.left("run", 3),
            TextTable.Column.right("invocations", 3),
            TextTable.Column.right("warm", 3),
            TextTable.Column.right("local", 3),
            TextTable.Column.right("remote", 3),
            TextTable.Column.right("boot", 3),
            TextTable.Column.right("failed", 3),
            TextTable.Column.right("prefetches", 3),
            TextTable.Column.right("local-hit %", 3),
            TextTable.Column.right("remote fetches", 3),
            TextTable.Column.right("cold p50 ms", 3));
    for (Row r : rows) {
      t.row(
          r.run(),
          r.invocations(),
          r.warm(),
          r.local(),
          r.remote(),
          r.boots(),
          r.failed(),
          r.prefetches(),
          figure(r.localShare()),
          r.remoteFetches(),
          figure(r.coldP50Ms()));
    }
    return t.render();
  }

  private static String figure(double v) {
    return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.1f", v);
  }
}
