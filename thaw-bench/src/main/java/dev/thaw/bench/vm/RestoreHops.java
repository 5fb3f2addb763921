package dev.thaw.bench.vm;

import dev.thaw.bench.TextTable;
import dev.thaw.bench.TextTable.Column;
import dev.thaw.core.stats.LatencySummary;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.ToDoubleFunction;

/**
 * What {@code thaw bench vm --gateway-restores} measured: local cold starts through a gateway and
 * an agent, per setup in the order measured (an agent without a pool of started QEMUs, then one
 * with), each split by the agent's and the gateway's headers.
 *
 * @param bySetup each setup's cold starts, by its label
 */
public record RestoreHops(Map<String, List<Hop>> bySetup) {
  public RestoreHops {
    bySetup = new LinkedHashMap<>(bySetup);
    bySetup.replaceAll((label, hops) -> List.copyOf(hops));
  }

  /**
   * One local cold start, in milliseconds.
   *
   * @param totalMs at the client, from sending the request to reading the answer
   * @param startupMs {@code X-Thaw-Startup-Ms}: the snapshot manager's restore
   * @param latencyMs {@code X-Thaw-Latency-Ms}: from the agent receiving the request to the
   *     function's answer
   * @param placementMs {@code X-Thaw-Placement-Ms}: the gateway's choice of a node
   */
  public record Hop(double totalMs, double startupMs, double latencyMs, double placementMs) {
    /** The function's answer through the agent, after the restore. */
    public double agentInvocationMs() {
      return latencyMs - startupMs;
    }

    /** The gateway and both HTTP hops: the time at the client less the agent's. */
    public double gatewayHopMs() {
      return totalMs - latencyMs;
    }
  }

  /** Each setup's medians: at the gateway, agent startup and invocation, gateway hop, placement. */
  public String table() {
    TextTable t =
        TextTable.of(
            Column.left("local cold start (median ms)", 28),
            Column.right("n", 4),
            Column.right("at the gateway", 14),
            Column.right("agent startup", 13),
            Column.right("agent invocation", 16),
            Column.right("gateway hop", 11),
            Column.right("placement", 9));
    bySetup.forEach(
        (label, hops) ->
            t.row(
                label,
                hops.size(),
                median(hops, Hop::totalMs),
                median(hops, Hop::startupMs),
                median(hops, Hop::agentInvocationMs),
                median(hops, Hop::gatewayHopMs),
                median(hops, Hop::placementMs)));
    return t.render();
  }

  /** Each setup after the first: its median at the gateway over the first's, when both have one. */
  public Map<String, Double> overFirstMedians() {
    Map<String, Double> ratios = new LinkedHashMap<>();
    List<Map.Entry<String, List<Hop>>> all = new ArrayList<>(bySetup.entrySet());
    if (all.isEmpty() || all.get(0).getValue().isEmpty()) {
      return ratios;
    }
    double first = summary(all.get(0).getValue(), Hop::totalMs).p50();
    for (Map.Entry<String, List<Hop>> e : all.subList(1, all.size())) {
      if (!e.getValue().isEmpty()) {
        ratios.put(e.getKey(), summary(e.getValue(), Hop::totalMs).p50() / first);
      }
    }
    return ratios;
  }

  /** The last setup's median at the gateway over the first's, when there are two with figures. */
  public Optional<Double> lastOverFirstMedian() {
    List<List<Hop>> all = new ArrayList<>(bySetup.values());
    if (all.size() < 2 || all.get(0).isEmpty() || all.get(all.size() - 1).isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(
        summary(all.get(all.size() - 1), Hop::totalMs).p50()
            / summary(all.get(0), Hop::totalMs).p50());
  }

  private static String median(List<Hop> hops, ToDoubleFunction<Hop> part) {
    return hops.isEmpty() ? "-" : String.format(Locale.ROOT, "%.1f", summary(hops, part).p50());
  }

  private static LatencySummary summary(List<Hop> hops, ToDoubleFunction<Hop> part) {
    return LatencySummary.of(hops.stream().map(h -> part.applyAsDouble(h)).toList());
  }
}
