package dev.thaw.cli;

import dev.thaw.bench.TextTable;
import dev.thaw.bench.TextTable.Column;
import dev.thaw.bench.vm.BootRestoreRounds;
import dev.thaw.bench.vm.BootRestoreTimes;
import dev.thaw.bench.vm.RestoreBreakdown;
import dev.thaw.bench.vm.RestoreHopRounds;
import dev.thaw.bench.vm.RestoreHops;
import dev.thaw.core.bench.Bench;
import dev.thaw.core.bench.BenchResult;
import dev.thaw.core.bench.BenchResultCodec;
import dev.thaw.core.bench.BenchRow;
import dev.thaw.core.bench.ModelRow;
import dev.thaw.core.function.BuiltinFunctions;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.io.FileTrees;
import dev.thaw.core.stats.LatencySummary;
import dev.thaw.qemu.GuestImage;
import dev.thaw.qemu.QemuVmm;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code thaw bench vm}: time to first response of cold boots and of snapshot restores, measured in
 * one run on this machine.
 */
@Command(
    name = "vm",
    mixinStandardHelpOptions = true,
    description = {
      "Times cold boots against restores of one snapshot, on the VMM alone.",
      "Boots a function cold, snapshots it after its first invocation, restores it N times,",
      "and prints time to first response for boots and restores with the ratio of medians.",
      "With --vmm-pool (the default), each round also restores on a QEMU started ahead,",
      "alternating with the plain restore, and prints where each method's time went.",
      "With --gateway-restores N, it then times N local cold starts per VMM through an agent",
      "and a gateway, and prints where their time went outside the VMM."
    })
final class BenchVmCommand implements Callable<Integer> {
  @Option(
      names = "--function",
      defaultValue = "stateful",
      description = "Built-in function to measure (hello, stateful). Default: ${DEFAULT-VALUE}.")
  String functionId;

  @Option(
      names = "--boots",
      defaultValue = "3",
      description = "Cold boots to time. Default: ${DEFAULT-VALUE}.")
  int boots;

  @Option(
      names = "--restores",
      defaultValue = "10",
      description = "Restores to time (at least 10). Default: ${DEFAULT-VALUE}.")
  int restores;

  @Option(
      names = "--vmm-pool",
      defaultValue = "1",
      description =
          "QEMUs kept started ahead for the pooled restores (0: no pooled restores). Default:"
              + " ${DEFAULT-VALUE}.")
  int vmmPool;

  @Option(
      names = "--gateway-restores",
      defaultValue = "0",
      description =
          "Local cold starts to time through an agent and a gateway, per VMM (0: none). Default:"
              + " ${DEFAULT-VALUE}.")
  int gatewayRestores;

  @Mixin JsonOutput json;

  @Option(
      names = "--work-dir",
      description = "Where VMs and the snapshot live during the run (default: a temp dir).")
  Path workDir;

  /** The row of the restores on a pooled QEMU. */
  static final String POOLED = "restore (pooled VMM)";

  private final PrintStream out = System.out;

  @Override
  public Integer call() throws Exception {
    FunctionSpec function =
        BuiltinFunctions.byId(functionId)
            .orElseThrow(() -> new IllegalArgumentException("unknown function: " + functionId));
    if (boots < 1 || restores < 10) {
      throw new IllegalArgumentException("need --boots >= 1 and --restores >= 10");
    }
    if (gatewayRestores < 0) {
      throw new IllegalArgumentException("--gateway-restores must not be negative");
    }
    if (vmmPool < 0 || vmmPool > 64) {
      throw new IllegalArgumentException("--vmm-pool is 0 to 64: " + vmmPool);
    }
    Path root = workDir != null ? workDir : Files.createTempDirectory("thaw-bench-vm-");
    try {
      return run(function, root);
    } finally {
      if (workDir == null) {
        FileTrees.deleteQuietly(root);
      }
    }
  }

  private int run(FunctionSpec function, Path root) throws Exception {
    GuestImage image = GuestImage.ensure(line -> out.println(line));
    RestoreBreakdown breakdown = new RestoreBreakdown();
    QemuVmm vmm =
        QemuVmm.builder()
            .image(image)
            .workRoot(root.resolve("vms"))
            .restorePhases(breakdown::vmm)
            .build();
    try (QemuVmm pooled =
        vmmPool == 0
            ? null
            : QemuVmm.builder()
                .image(image)
                .workRoot(root.resolve("vms"))
                .pool(vmmPool)
                .restorePhases(breakdown::vmm)
                .build()) {
      out.printf(
          "thaw bench vm: %s on %s, %d cold boots, %d restores%s%n",
          function.id(),
          vmm.identity(),
          boots,
          restores,
          pooled == null ? "" : " and " + restores + " on a pool of " + vmmPool + " started QEMUs");
      BootRestoreTimes times =
          new BootRestoreRounds(vmm, pooled, t -> pooled.awaitPool(t), breakdown, root, out)
              .measure(function, boots, restores);
      out.println();
      out.print(table(times));
      out.printf("restore / boot (medians): %.3f%n", times.restoreOverBootMedian());
      times
          .pooledOverRestoreMedian()
          .ifPresent(r -> out.printf("restore (pooled VMM) / restore (medians): %.3f%n", r));
      out.println();
      out.print(breakdownTable(breakdown));
      if (gatewayRestores > 0) {
        gatewayRestores(function, image, vmm, pooled, root);
      }
      report(function, vmm, times);
    }
    return 0;
  }

  /** Local cold starts through an agent and a gateway, on each VMM, and where their time went. */
  private void gatewayRestores(
      FunctionSpec function, GuestImage image, QemuVmm vmm, QemuVmm pooled, Path root)
      throws Exception {
    out.println();
    out.printf("%d local cold starts through an agent and a gateway per VMM%n", gatewayRestores);
    List<RestoreHopRounds.Setup> setups = new ArrayList<>();
    setups.add(new RestoreHopRounds.Setup("no pool", vmm, t -> true));
    QemuVmm staged = null;
    try {
      if (pooled != null) {
        setups.add(new RestoreHopRounds.Setup("pool of " + vmmPool, pooled, pooled::awaitPool));
        QemuVmm s =
            QemuVmm.builder()
                .image(image)
                .workRoot(root.resolve("vms"))
                .pool(vmmPool)
                .staged(1)
                .build();
        staged = s;
        setups.add(
            new RestoreHopRounds.Setup(
                "pool of " + vmmPool + ", 1 staged", s, t -> s.awaitPool(t) && awaitStaged(s, t)));
      }
      RestoreHops hops =
          new RestoreHopRounds(image.digests(), root, out)
              .measure(function, setups, gatewayRestores);
      out.println();
      out.print(hops.table());
      hops.overFirstMedians()
          .forEach(
              (label, r) -> out.printf("%s / no pool (medians at the gateway): %.2f%n", label, r));
    } finally {
      if (staged != null) {
        staged.close();
      }
    }
  }

  /**
   * Waits a few seconds at most (and no longer than {@code timeout}) for {@code vmm} to hold a
   * staged restore. A snapshot is staged in the first quiet after it was restored, so every cold
   * start but the first finds its predecessor's; the first may find none (its snapshot was not
   * restored on that VMM before), and is then timed unstaged, as the agent would serve it.
   */
  private static boolean awaitStaged(QemuVmm vmm, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + Math.min(timeout.toNanos(), STAGING_WAIT.toNanos());
    while (vmm.staged() == 0 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    return true;
  }

  /** How long a round waits at most for a restore to be staged. */
  private static final Duration STAGING_WAIT = Duration.ofSeconds(5);

  private void report(FunctionSpec function, QemuVmm vmm, BootRestoreTimes times)
      throws java.io.IOException {
    if (json.file != null) {
      Files.writeString(
          json.file, BenchResultCodec.write(result(function, vmm.identity().toString(), times)));
      out.println("wrote " + json.file);
    }
  }

  /** Each phase's median (ms) of the plain and the pooled restores, and their ratio. */
  static String breakdownTable(RestoreBreakdown breakdown) {
    Map<String, LatencySummary> plain = RestoreBreakdown.summary(breakdown.plain());
    Map<String, LatencySummary> pooled = RestoreBreakdown.summary(breakdown.pooled());
    TextTable t =
        TextTable.of(
            Column.left("restore phase (median ms)", 40),
            Column.right("restore", 9),
            Column.right("pooled", 9),
            Column.right("ratio", 7));
    plain.forEach(
        (name, s) -> {
          LatencySummary p = pooled.get(name);
          t.row(
              name,
              String.format(Locale.ROOT, "%.1f", s.p50()),
              p == null ? "-" : String.format(Locale.ROOT, "%.1f", p.p50()),
              p == null || s.p50() == 0
                  ? "-"
                  : String.format(Locale.ROOT, "%.2f", p.p50() / s.p50()));
        });
    return t.render();
  }

  /** The boots' and the restores' median, p90 and count. */
  static String table(BootRestoreTimes times) {
    TextTable t =
        TextTable.of(
            Column.left("time to first response", 28),
            Column.right("median ms", 10),
            Column.right("p90 ms", 10),
            Column.right("n", 6));
    Map<String, LatencySummary> rows = new LinkedHashMap<>();
    rows.put(ModelRow.VM_COLD_BOOT.label(), times.bootMs());
    rows.put(ModelRow.VM_RESTORE.label(), times.restoreMs());
    times.pooled().ifPresent(p -> rows.put(POOLED, p));
    rows.forEach(
        (name, s) ->
            t.row(
                name,
                String.format(Locale.ROOT, "%.0f", s.p50()),
                String.format(Locale.ROOT, "%.0f", s.p90()),
                s.count()));
    return t.render();
  }

  /** The run's JSON document: the boots' and the restores' rows and the ratio of medians. */
  static BenchResult result(FunctionSpec function, String vmmIdentity, BootRestoreTimes times) {
    Map<String, Object> facts = new LinkedHashMap<>();
    facts.put("function", function.id());
    facts.put("vmm", vmmIdentity);
    facts.put("restoreOverBootMedian", times.restoreOverBootMedian());
    times.pooledOverRestoreMedian().ifPresent(r -> facts.put("pooledOverRestoreMedian", r));
    List<BenchRow> rows = new ArrayList<>();
    rows.add(BenchRow.of(ModelRow.VM_COLD_BOOT.label(), times.bootMs()));
    rows.add(BenchRow.of(ModelRow.VM_RESTORE.label(), times.restoreMs()));
    times.pooled().ifPresent(p -> rows.add(BenchRow.of(POOLED, p)));
    return BenchResult.ofThisMachine(Bench.VM, facts, rows);
  }
}
