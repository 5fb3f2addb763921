package dev.thaw.bench.plot;

import dev.thaw.bench.TextTable;
import dev.thaw.bench.TextTable.Column;
import dev.thaw.sim.SimResult;
import java.util.List;
import java.util.Locale;

/**
 * {@code thaw simulate}'s table: one line per configuration with its starts by kind, the share of
 * restores served from a node's own cache, the bytes read from remote storage, start latencies and
 * idle memory. The terminal and {@link SimulationReport}'s page print the same table.
 */
public final class SimulationTable {
  private SimulationTable() {}

  /** The table of these results, in their order. */
  public static String of(List<SimResult> results) {
    TextTable t =
        TextTable.of(
            Column.left("configuration", 28),
            Column.right("invocations", 12),
            Column.right("warm", 12),
            Column.right("local", 10),
            Column.right("remote", 9),
            Column.right("boot", 8),
            Column.right("rejected", 8),
            Column.right("local%", 7),
            Column.right("remote GiB", 10),
            Column.right("p50 ms", 8),
            Column.right("p99 ms", 8),
            Column.right("idle GiBh", 9));
    for (SimResult r : results) {
      t.row(
          r.configuration(),
          format("%,d", r.invocations()),
          format("%,d", r.warm()),
          format("%,d", r.localRestores()),
          format("%,d", r.remoteRestores()),
          format("%,d", r.boots()),
          format("%,d", r.rejected()),
          format("%.1f", 100 * r.localHitShare()),
          format("%,.1f", r.remoteBytes() / (double) (1L << 30)),
          format("%.1f", r.p50StartMs()),
          format("%.0f", r.p99StartMs()),
          format("%,.0f", r.idleGibHours()));
    }
    return t.render();
  }

  private static String format(String format, Object value) {
    return String.format(Locale.ROOT, format, value);
  }
}
