package dev.thaw.bench.soak;

import dev.thaw.bench.TextTable;
import dev.thaw.bench.TextTable.Column;
import dev.thaw.core.stats.LatencySummary;
import dev.thaw.node.snapshot.DeadSnapshot;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * What {@code thaw bench soak} found: the cycles it ran, the dead snapshots among them, and how
 * long it took. The restores it summarises are those from the node's own cache, the path each cycle
 * means to take; a cycle that fell back to a boot is not a restore.
 *
 * @param cycles the cycles, in the order they finished
 * @param dead the dead snapshots, in the order they were found
 * @param seconds the whole run, from the agents' start to the last cycle
 */
public record SoakFigures(List<SoakCycle> cycles, List<DeadSnapshot> dead, double seconds) {
  public SoakFigures {
    cycles = List.copyOf(cycles);
    dead = List.copyOf(dead);
    if (cycles.isEmpty()) {
      throw new IllegalArgumentException("a soak runs one cycle at least");
    }
  }

  /** Snapshots made and verified by a clone. */
  public long verified() {
    return cycles.stream().filter(SoakCycle::snapshotted).count();
  }

  /** Snapshots whose first clone did not answer, so that they were never committed. */
  public long deadAtVerify() {
    return dead.stream().filter(d -> d.phase() == DeadSnapshot.Phase.VERIFY).count();
  }

  /** Committed snapshots whose clone did not answer when a cold start restored them. */
  public long deadAtRestore() {
    return dead.size() - deadAtVerify();
  }

  /** Boot until the first answer, over every cycle. */
  public LatencySummary bootMs() {
    return LatencySummary.of(cycles.stream().map(SoakCycle::bootMs).toList());
  }

  /** Restore from the cache until the first answer, when any cycle restored. */
  public Optional<LatencySummary> restoreMs() {
    List<Double> ms =
        cycles.stream().filter(SoakCycle::restoredLocally).map(SoakCycle::restoreMs).toList();
    return ms.isEmpty() ? Optional.empty() : Optional.of(LatencySummary.of(ms));
  }

  /** The report after the run: its length, the count of snapshots, the latencies, the dead. */
  public String report() {
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT, "%d cycles in %.0f s%n", cycles.size(), seconds));
    s.append(
        TextTable.of(Column.left("snapshots", 34), Column.right("count", 6))
            .row("made and verified by a clone", verified())
            .row("dead when verified (not committed)", deadAtVerify())
            .row("dead when restored from the cache", deadAtRestore())
            .render());
    LatencySummary boot = bootMs();
    s.append(
        String.format(
            Locale.ROOT,
            "boot + first answer:    median %.0f ms, p90 %.0f ms%n",
            boot.p50(),
            boot.p90()));
    restoreMs()
        .ifPresent(
            r ->
                s.append(
                    String.format(
                        Locale.ROOT,
                        "restore + first answer: median %.0f ms, p90 %.0f ms, max %.0f ms%n",
                        r.p50(),
                        r.p90(),
                        r.max())));
    s.append(String.format("dead snapshots: %d of %d%n", dead.size(), cycles.size()));
    return s.toString();
  }
}
