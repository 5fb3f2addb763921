package dev.thaw.bench.load;

import dev.thaw.bench.TextTable;
import dev.thaw.bench.TextTable.Column;
import dev.thaw.core.stats.LatencySummary;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The cold half of {@code thaw bench load}: a burst of concurrent requests through the gateway to a
 * function with no instance, whose snapshot is in remote storage and in no node's cache.
 *
 * @param requests requests sent at once
 * @param slots instance slots per node
 * @param ms the answered requests' latencies in milliseconds
 * @param firstError the first failure's status or exception; empty when every request was answered
 * @param fetches remote fetches of the snapshot, per node
 * @param starts how each node's cold starts went
 */
public record BurstFigures(
    int requests,
    int slots,
    List<Double> ms,
    String firstError,
    Map<String, Long> fetches,
    Map<String, Starts> starts) {
  public BurstFigures {
    ms = List.copyOf(ms);
    Objects.requireNonNull(firstError, "firstError");
    fetches = Map.copyOf(fetches);
    starts = Map.copyOf(starts);
  }

  /**
   * One node's cold starts during the burst.
   *
   * @param remote from a remote snapshot
   * @param boots booted (no snapshot, or a fallback)
   * @param dead restores whose snapshot was found dead
   * @param tooSlow restores the machine was too slow for (the snapshot kept)
   */
  public record Starts(long remote, long boots, long dead, long tooSlow) {
    static final Starts NONE = new Starts(0, 0, 0, 0);
  }

  /** Requests answered 200. */
  public int answered() {
    return ms.size();
  }

  /** Whether every request was answered and each node fetched the snapshot at most once. */
  public boolean metTargets() {
    return answered() == requests && fetches.values().stream().allMatch(n -> n <= 1);
  }

  /** One row per node, after a line of the burst's answers and latencies. */
  public String table() {
    StringBuilder s = new StringBuilder();
    String latency = "";
    if (!ms.isEmpty()) {
      LatencySummary l = LatencySummary.of(ms);
      latency = String.format(Locale.ROOT, "; p50 %.0f ms, p99 %.0f ms", l.p50(), l.p99());
    }
    s.append(
        String.format(
            Locale.ROOT,
            "cold burst: %d concurrent requests, %d nodes × %d slots: %d of %d answered%s%n",
            requests,
            fetches.size(),
            slots,
            answered(),
            requests,
            latency));
    TextTable t =
        TextTable.of(
            Column.left("node", 24),
            Column.right("snapshot fetches", 17),
            Column.right("remote cold starts", 19),
            Column.right("boots", 6),
            Column.right("dead", 5),
            Column.right("too slow", 9));
    fetches.keySet().stream()
        .sorted()
        .forEach(
            n -> {
              Starts st = starts.getOrDefault(n, Starts.NONE);
              t.row(n, fetches.get(n), st.remote(), st.boots(), st.dead(), st.tooSlow());
            });
    s.append(t.render());
    s.append("target: every request answered, one fetch per node\n");
    if (!firstError.isEmpty()) {
      s.append("first failure: ").append(firstError).append('\n');
    }
    return s.toString();
  }
}
