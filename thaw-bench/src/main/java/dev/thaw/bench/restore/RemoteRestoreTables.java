package dev.thaw.bench.restore;

import dev.thaw.bench.ProcessCpu;
import dev.thaw.bench.TextTable;
import dev.thaw.bench.TextTable.Column;
import dev.thaw.core.config.ByteSize;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.snapshot.ChunkDedup;
import dev.thaw.core.stats.LatencySummary;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What {@code thaw bench remote} prints of its rounds: the methods' table with the legend of its
 * columns, the CPU time of each method by part of this process, and the two snapshots' dedup. The
 * numbers keep the units and precision of the bench's earlier printouts, so that runs compare line
 * by line.
 */
public final class RemoteRestoreTables {
  private static final String NL = System.lineSeparator();

  private RemoteRestoreTables() {}

  /** The whole text, from the blank line before the first table to the dedup line. */
  public static String render(
      RemoteRestoreRounds.Outcome o, FunctionSpec function, FunctionSpec other) {
    return NL
        + methods(o.figures(), function)
        + "bytes/restore: received before the first answer; all bytes: including what a lazy"
        + " restore fetches after it;"
        + NL
        + "waits, wait ms: reads of the served memory file that waited for the network before"
        + " the first answer, and how long they waited in all (median per restore)"
        + NL
        + "cpu ms: median CPU time the whole machine spent during one restore, over all cores"
        + " (this JVM with the embedded S3 server, QEMU, the kernel); resolution 10 ms"
        + NL
        + NL
        + cpuByPart(o.figures())
        + NL
        + dedup(function, other, o.dedup())
        + NL;
  }

  /** The methods' latencies, bytes, lazy read waits and CPU time, a row per method. */
  static String methods(List<RestoreFigures> figures, FunctionSpec function) {
    TextTable t =
        TextTable.of(
            Column.left("method", 32),
            Column.right("n", 4),
            Column.right("p50 ms", 8),
            Column.right("p99 ms", 8),
            Column.right("mean ms", 8),
            Column.right("÷ local", 8),
            Column.right("bytes/restore", 12),
            Column.right("÷ memory", 9),
            Column.right("all bytes", 10),
            Column.right("waits", 6),
            Column.right("wait ms", 8),
            Column.right("cpu ms", 7));
    for (RestoreFigures r : figures) {
      LatencySummary s = r.latencyMs();
      t.row(
          r.method(),
          s.count(),
          decimals(0, s.p50()),
          decimals(0, s.p99()),
          decimals(0, s.mean()),
          decimals(2, r.ratioToLocal()),
          ByteSize.format(r.bytesPerRestore()),
          decimals(3, (double) r.bytesPerRestore() / function.memoryBytes()),
          ByteSize.format(r.allBytesPerRestore()),
          r.readWaits(),
          decimals(1, r.readWaitMs()),
          r.cpuMsPerRestore() < 0 ? "-" : Long.toString(r.cpuMsPerRestore()));
    }
    return t.render();
  }

  /** Each method's CPU time by part of this process ({@link ProcessCpu#PARTS}). */
  static String cpuByPart(List<RestoreFigures> figures) {
    List<Column> columns = new ArrayList<>();
    columns.add(Column.left("cpu ms by part (median)", 32));
    ProcessCpu.PARTS.forEach(p -> columns.add(Column.right(p, 13)));
    TextTable t = TextTable.of(columns.toArray(Column[]::new));
    for (RestoreFigures r : figures) {
      List<Object> row = new ArrayList<>();
      row.add(r.method());
      ProcessCpu.PARTS.forEach(p -> row.add(r.cpuMsByPart().get(p)));
      t.row(row.toArray());
    }
    return t.render();
  }

  /** How much of {@code function}'s snapshot is also in {@code other}'s, in one line. */
  static String dedup(FunctionSpec function, FunctionSpec other, ChunkDedup d) {
    return String.format(
        Locale.ROOT,
        "dedup: %s of %s's %s of non-zero chunks are also in %s's snapshot (%.0f%%);"
            + " the two together store %.2fx less than their non-zero bytes",
        ByteSize.format(d.sharedBytes()),
        function.id(),
        ByteSize.format(d.nonZeroBytes()),
        other.id(),
        100 * d.ratio(),
        d.storedOnceRatio());
  }

  private static String decimals(int places, double value) {
    return String.format(Locale.ROOT, "%." + places + "f", value);
  }
}
