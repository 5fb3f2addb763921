package dev.thaw.cli;

import dev.thaw.sim.SimResult;
import java.util.List;
import java.util.Locale;

/** {@code thaw simulate}'s table: one line per configuration. */
final class SimulationTable {
  private SimulationTable() {}

  static String of(List<SimResult> results) {
    int width = 28;
    for (SimResult r : results) {
      width = Math.max(width, r.configuration().length());
    }
    String row = "%-" + width + "s %12s %12s %10s %9s %8s %8s %7s %10s %8s %8s %9s%n";
    StringBuilder b = new StringBuilder();
    b.append(
        String.format(
            Locale.ROOT,
            row,
            "configuration",
            "invocations",
            "warm",
            "local",
            "remote",
            "boot",
            "rejected",
            "local%",
            "remote GiB",
            "p50 ms",
            "p99 ms",
            "idle GiBh"));
    for (SimResult r : results) {
      b.append(
          String.format(
              Locale.ROOT,
              row,
              r.configuration(),
              String.format(Locale.ROOT, "%,d", r.invocations()),
              String.format(Locale.ROOT, "%,d", r.warm()),
              String.format(Locale.ROOT, "%,d", r.localRestores()),
              String.format(Locale.ROOT, "%,d", r.remoteRestores()),
              String.format(Locale.ROOT, "%,d", r.boots()),
              String.format(Locale.ROOT, "%,d", r.rejected()),
              String.format(Locale.ROOT, "%.1f", 100 * r.localHitShare()),
              String.format(Locale.ROOT, "%,.1f", r.remoteBytes() / (double) (1L << 30)),
              String.format(Locale.ROOT, "%.1f", r.p50StartMs()),
              String.format(Locale.ROOT, "%.0f", r.p99StartMs()),
              String.format(Locale.ROOT, "%,.0f", r.idleGibHours())));
    }
    return b.toString();
  }
}
