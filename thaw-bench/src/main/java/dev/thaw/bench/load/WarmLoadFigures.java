package dev.thaw.bench.load;

import dev.thaw.bench.TextTable;
import dev.thaw.bench.TextTable.Column;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The warm half of {@code thaw bench load}: the same closed-loop load through the gateway and
 * straight to the guests, and how the gateway compares.
 *
 * @param clients concurrent clients
 * @param instances warm instances of the function
 * @param gateway the load through the gateway
 * @param direct the load straight to the guests
 */
public record WarmLoadFigures(int clients, int instances, PathLoad gateway, PathLoad direct) {
  /** Gateway throughput at least this share of direct's. */
  public static final double THROUGHPUT_TARGET = 0.8;

  /** Gateway p99 at most this multiple of direct's. */
  public static final double P99_TARGET = 2.0;

  public WarmLoadFigures {
    Objects.requireNonNull(gateway, "gateway");
    Objects.requireNonNull(direct, "direct");
  }

  /** Gateway throughput ÷ direct throughput. */
  public double throughputRatio() {
    return gateway.throughput() / direct.throughput();
  }

  /** Gateway p99 ÷ direct p99. */
  public double p99Ratio() {
    return gateway.latency().p99() / direct.latency().p99();
  }

  /** Gateway p50 ÷ direct p50. */
  public double p50Ratio() {
    return gateway.latency().p50() / direct.latency().p50();
  }

  /** Whether the gateway met every target: throughput, p99, and no error on either path. */
  public boolean metTargets() {
    return throughputRatio() >= THROUGHPUT_TARGET
        && p99Ratio() <= P99_TARGET
        && gateway.sample().errors() == 0
        && direct.sample().errors() == 0;
  }

  /** One row per path, then the ratios against their targets. */
  public String table() {
    TextTable t =
        TextTable.of(
            Column.left("warm load, " + clients + " clients", 24),
            Column.right("requests", 9),
            Column.right("req/s", 8),
            Column.right("p50 ms", 8),
            Column.right("p99 ms", 8),
            Column.right("errors", 7),
            Column.right("machine busy", 13),
            Column.right("cpu ms/req", 11));
    for (PathLoad p : new PathLoad[] {gateway, direct}) {
      t.row(
          p.name(),
          p.sample().ms().size(),
          f("%.0f", p.throughput()),
          f("%.2f", p.latency().p50()),
          f("%.2f", p.latency().p99()),
          p.sample().errors(),
          f("%.0f%%", 100 * p.busyShare()),
          f("%.2f", p.cpuMillisPerRequest()));
    }
    StringBuilder s = new StringBuilder(t.render());
    s.append(cpuTable());
    s.append(
        f(
            "gateway ÷ direct: throughput %.2f (target ≥ %.2f), p50 %.2f, p99 %.2f (target ≤ %.1f),"
                + " errors %d + %d (target 0)%n",
            throughputRatio(),
            THROUGHPUT_TARGET,
            p50Ratio(),
            p99Ratio(),
            P99_TARGET,
            gateway.sample().errors(),
            direct.sample().errors()));
    for (PathLoad p : new PathLoad[] {gateway, direct}) {
      if (!p.sample().firstError().isEmpty()) {
        s.append(f("first error %s: %s%n", p.name(), p.sample().firstError()));
      }
    }
    return s.toString();
  }

  /** Each path's CPU per request, by who spent it ({@link LoadCpu}). */
  private String cpuTable() {
    List<Column> columns = new ArrayList<>();
    columns.add(Column.left("cpu ms/req by process", 24));
    LoadCpu.PARTS.forEach(p -> columns.add(Column.right(p, Math.max(8, p.length() + 1))));
    TextTable t = TextTable.of(columns.toArray(Column[]::new));
    for (PathLoad p : new PathLoad[] {gateway, direct}) {
      List<Object> row = new ArrayList<>();
      row.add(p.name());
      LoadCpu.PARTS.forEach(part -> row.add(f("%.2f", p.cpuMillisPerRequest(part))));
      t.row(row.toArray());
    }
    return t.render();
  }

  private static String f(String format, Object... args) {
    return String.format(Locale.ROOT, format, args);
  }
}
