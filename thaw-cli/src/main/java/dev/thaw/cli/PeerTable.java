package dev.thaw.cli;

import dev.thaw.bench.TextTable;
import dev.thaw.bench.TextTable.Column;
import dev.thaw.sim.SimResult;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code thaw simulate --peers}'s table: per configuration, requests and bytes to remote storage
 * and to peers, and the cold starts' latencies; a configuration with peers whose run without them
 * is in the same list also gets its storage requests as a share of those.
 */
final class PeerTable {
  private static final String PEERS = ", peers";

  private PeerTable() {}

  static String of(List<SimResult> results) {
    TextTable t =
        TextTable.of(
            Column.left("configuration", 28),
            Column.right("storage requests", 16),
            Column.right("storage GiB", 11),
            Column.right("peer requests", 13),
            Column.right("peer fetches", 12),
            Column.right("peer GiB", 9),
            Column.right("cold p50 ms", 11),
            Column.right("cold p99 ms", 11),
            Column.right("storage req. ÷ without", 22));
    Map<String, SimResult> without = new HashMap<>();
    for (SimResult r : results) {
      if (!r.configuration().endsWith(PEERS)) {
        without.put(r.configuration(), r);
      }
    }
    for (SimResult r : results) {
      SimResult.Fetches f = r.fetches();
      String label = r.configuration();
      SimResult base =
          label.endsWith(PEERS)
              ? without.get(label.substring(0, label.length() - PEERS.length()))
              : null;
      t.row(
          label,
          format("%,d", f.storageRequests()),
          format("%,.1f", r.remoteBytes() / (double) (1L << 30)),
          format("%,d", f.peerRequests()),
          format("%,d", f.peerFetches()),
          format("%,.1f", f.peerBytes() / (double) (1L << 30)),
          format("%.1f", f.p50ColdStartMs()),
          format("%.0f", f.p99ColdStartMs()),
          base == null
              ? ""
              : base.fetches().storageRequests() == 0
                  ? "-"
                  : format(
                      "%.3f", f.storageRequests() / (double) base.fetches().storageRequests()));
    }
    return t.render();
  }

  private static String format(String format, Object value) {
    return String.format(Locale.ROOT, format, value);
  }
}
