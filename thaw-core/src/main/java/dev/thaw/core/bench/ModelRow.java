package dev.thaw.core.bench;

import java.util.Arrays;
import java.util.List;

/**
 * The rows of bench results that {@code thaw simulate}'s model reads, by the label the bench prints
 * them under. The benches label these rows with these constants and the model looks them up by
 * them, so renaming one changes writer and reader together; a document of a bench that lacks one of
 * its rows is refused when written ({@link BenchResultCodec#write}).
 */
public enum ModelRow {
  VM_COLD_BOOT(Bench.VM, "cold boot", "boot"),
  VM_RESTORE(Bench.VM, "restore from snapshot", "local restore"),
  NO_SNAPSHOT(Bench.SNAPSHOTS, "no snapshot", "boot"),
  LOCAL_SNAPSHOT(Bench.SNAPSHOTS, "local snapshot", "local restore"),
  REMOTE_CACHED_FETCH(Bench.SNAPSHOTS, "remote, cached (fetch)", "remote restore"),
  LOCAL_RESTORE(Bench.REMOTE, "local restore", "local restore"),
  REMOTE_CHUNKS(Bench.REMOTE, "remote, chunks", "remote restore"),
  GATEWAY_KEPT_ALIVE(Bench.WARM, "gateway, kept alive", "warm start");

  private final Bench bench;
  private final String label;
  private final String input;

  ModelRow(Bench bench, String label, String input) {
    this.bench = bench;
    this.label = label;
    this.input = input;
  }

  /** The bench that writes the row. */
  public Bench bench() {
    return bench;
  }

  /** The row's label, as the bench prints it and its JSON names it. */
  public String label() {
    return label;
  }

  /** What the model takes from it, for messages: "boot", "remote restore". */
  public String input() {
    return input;
  }

  /** The rows of {@code bench} the model reads. */
  public static List<ModelRow> of(Bench bench) {
    return Arrays.stream(values()).filter(r -> r.bench == bench).toList();
  }
}
