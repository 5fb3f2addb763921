package dev.thaw.bench.vm;

import dev.thaw.core.stats.LatencySummary;
import dev.thaw.core.vmm.RestorePhases;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Where the time of {@code thaw bench vm}'s restores went, phase by phase: the VMM's own phases
 * ({@link RestorePhases}, told by the VMM as each restore answers) and the function's first answer
 * after it (timed by the rounds), kept apart for restores on a started QEMU and on a pooled one.
 */
public final class RestoreBreakdown {
  /** The phases in the order a restore goes through them, with how each is read off a row. */
  public static final Map<String, Function<Row, Duration>> PHASES = phases();

  private final List<Row> plain = new ArrayList<>();
  private final List<Row> pooled = new ArrayList<>();
  private RestorePhases pending;

  /** One restore: the VMM's phases and the function's first answer after them. */
  public record Row(RestorePhases vmm, Duration invoke) {}

  /** The VMM's phases of the restore under way (a {@code QemuVmm}'s listener). */
  public synchronized void vmm(RestorePhases phases) {
    pending = phases;
  }

  /**
   * The restore under way ended with the function's first answer, {@code invoke} after it; a
   * restore whose VMM told no phases is left out.
   */
  public synchronized void invoked(Duration invoke) {
    if (pending == null) {
      return;
    }
    (pending.pooled() ? pooled : plain).add(new Row(pending, invoke));
    pending = null;
  }

  /** The restores on a QEMU started for them. */
  public synchronized List<Row> plain() {
    return List.copyOf(plain);
  }

  /** The restores on a pooled QEMU. */
  public synchronized List<Row> pooled() {
    return List.copyOf(pooled);
  }

  /** Each phase's summary (ms) over {@code rows}, in {@link #PHASES} order. */
  public static Map<String, LatencySummary> summary(List<Row> rows) {
    Map<String, LatencySummary> out = new LinkedHashMap<>();
    if (rows.isEmpty()) {
      return out;
    }
    PHASES.forEach(
        (name, phase) ->
            out.put(
                name,
                LatencySummary.of(
                    rows.stream().map(r -> phase.apply(r).toNanos() / 1e6).toList())));
    return out;
  }

  private static Map<String, Function<Row, Duration>> phases() {
    Map<String, Function<Row, Duration>> p = new LinkedHashMap<>();
    p.put("QEMU ready (exec to QMP, or pool bind)", r -> r.vmm().start());
    p.put("state load (migrate-incoming)", r -> r.vmm().load());
    p.put("resume (cont)", r -> r.vmm().resume());
    p.put("guest's first answer (reseed)", r -> r.vmm().answer());
    p.put("function's first answer", Row::invoke);
    p.put("total", r -> r.vmm().total().plus(r.invoke()));
    return p;
  }
}
