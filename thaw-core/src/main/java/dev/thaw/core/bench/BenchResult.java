package dev.thaw.core.bench;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What one run of a bench wrote with {@code --json}: which bench, the cores of the machine it ran
 * on (its figures depend on how many cores its starts shared), facts of the run (function, VMM,
 * chunk size, ...), and its table's rows. {@link BenchResultCodec} writes and reads it; the
 * simulator's model reads the rows {@link ModelRow} names.
 *
 * @param bench the bench that wrote it
 * @param cores cores of the machine it ran on; 0 in a document that does not record them
 * @param facts the run's other top-level fields by their JSON name, in the order written: strings,
 *     numbers, or values Jackson writes as JSON (read back as maps and lists)
 * @param rows the table's rows, in its order, labels distinct
 */
public record BenchResult(Bench bench, int cores, Map<String, Object> facts, List<BenchRow> rows) {
  /** The fact of {@code thaw bench remote}: guest memory of the restored function, in bytes. */
  public static final String GUEST_MEMORY_BYTES = "guestMemoryBytes";

  public BenchResult {
    Objects.requireNonNull(bench, "bench");
    if (cores < 0) {
      throw new IllegalArgumentException("cores must not be negative, not " + cores);
    }
    facts = Collections.unmodifiableMap(new LinkedHashMap<>(facts));
    rows = List.copyOf(rows);
    if (rows.stream().map(BenchRow::label).distinct().count() != rows.size()) {
      throw new IllegalArgumentException(bench.command() + " has two rows with one label");
    }
  }

  /** A result of a run on this machine, with its cores. */
  public static BenchResult ofThisMachine(
      Bench bench, Map<String, Object> facts, List<BenchRow> rows) {
    return new BenchResult(bench, Runtime.getRuntime().availableProcessors(), facts, rows);
  }

  /** The row labelled {@code label}. */
  public Optional<BenchRow> row(String label) {
    return rows.stream().filter(r -> r.label().equals(label)).findFirst();
  }

  /** The model's rows of this bench that this document lacks. */
  public List<ModelRow> missingModelRows() {
    return ModelRow.of(bench).stream().filter(m -> row(m.label()).isEmpty()).toList();
  }

  /** The whole-number fact {@code name}, if there is one. */
  public OptionalLong longFact(String name) {
    return facts.get(name) instanceof Number n && n.doubleValue() == n.longValue()
        ? OptionalLong.of(n.longValue())
        : OptionalLong.empty();
  }
}
