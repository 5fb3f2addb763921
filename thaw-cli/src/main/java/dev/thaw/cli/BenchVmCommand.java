package dev.thaw.cli;

import dev.thaw.core.bench.Bench;
import dev.thaw.core.bench.BenchResult;
import dev.thaw.core.bench.BenchResultCodec;
import dev.thaw.core.bench.BenchRow;
import dev.thaw.core.bench.ModelRow;
import dev.thaw.core.function.BuiltinFunctions;
import dev.thaw.core.function.FunctionClient;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.io.FileTrees;
import dev.thaw.core.stats.LatencySummary;
import dev.thaw.core.vmm.MicroVm;
import dev.thaw.core.vmm.VmSnapshot;
import dev.thaw.qemu.GuestImage;
import dev.thaw.qemu.QemuVmm;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
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
      "and prints time to first response for boots and restores with the ratio of medians."
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

  @Mixin JsonOutput json;

  @Option(
      names = "--work-dir",
      description = "Where VMs and the snapshot live during the run (default: a temp dir).")
  Path workDir;

  private final PrintStream out = System.out;

  @Override
  public Integer call() throws Exception {
    FunctionSpec function =
        BuiltinFunctions.byId(functionId)
            .orElseThrow(() -> new IllegalArgumentException("unknown function: " + functionId));
    if (boots < 1 || restores < 10) {
      throw new IllegalArgumentException("need --boots >= 1 and --restores >= 10");
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
    QemuVmm vmm = QemuVmm.builder().image(image).workRoot(root.resolve("vms")).build();
    FunctionClient client = new FunctionClient(Duration.ofSeconds(30));
    Duration ready = Duration.ofSeconds(120);
    out.printf(
        "thaw bench vm: %s on %s, %d cold boots, %d restores%n",
        function.id(), vmm.identity(), boots, restores);

    List<Double> bootMs = new ArrayList<>();
    VmSnapshot snapshot = null;
    for (int i = 1; i <= boots; i++) {
      long t0 = System.nanoTime();
      MicroVm vm = vmm.boot(function, ready);
      String body = client.get(vm.endpoint(), "/").body();
      double ms = (System.nanoTime() - t0) / 1e6;
      bootMs.add(ms);
      out.printf("  cold boot %d/%d: first response after %.0f ms  %s%n", i, boots, ms, body);
      if (i == boots) {
        Path dir = Files.createDirectories(root.resolve("snapshot"));
        long s0 = System.nanoTime();
        vm.pause();
        snapshot = vm.snapshot(dir);
        out.printf(
            "  snapshot: %.0f ms (memory file %d MiB, state %d KiB)%n",
            (System.nanoTime() - s0) / 1e6,
            Files.size(snapshot.memoryFile()) >> 20,
            Files.size(snapshot.stateFile()) >> 10);
      } else {
        vm.close();
      }
    }

    List<Double> restoreMs = new ArrayList<>();
    for (int i = 1; i <= restores; i++) {
      long t0 = System.nanoTime();
      try (MicroVm vm = vmm.restore(snapshot, ready)) {
        String body = client.get(vm.endpoint(), "/").body();
        double ms = (System.nanoTime() - t0) / 1e6;
        restoreMs.add(ms);
        out.printf("  restore %d/%d: first response after %.0f ms  %s%n", i, restores, ms, body);
      }
    }

    LatencySummary boot = LatencySummary.of(bootMs);
    LatencySummary restore = LatencySummary.of(restoreMs);
    double ratio = restore.p50() / boot.p50();
    out.println();
    out.printf("%-28s %10s %10s %6s%n", "time to first response", "median ms", "p90 ms", "n");
    String bootRow = ModelRow.VM_COLD_BOOT.label();
    String restoreRow = ModelRow.VM_RESTORE.label();
    out.printf("%-28s %10.0f %10.0f %6d%n", bootRow, boot.p50(), boot.p90(), boot.count());
    out.printf(
        "%-28s %10.0f %10.0f %6d%n", restoreRow, restore.p50(), restore.p90(), restore.count());
    out.printf("restore / boot (medians): %.3f%n", ratio);

    if (json.file != null) {
      Files.writeString(
          json.file,
          BenchResultCodec.write(result(function, vmm.identity().toString(), boot, restore)));
      out.println("wrote " + json.file);
    }
    return 0;
  }

  /** The run's JSON document: the boots' and the restores' rows and the ratio of medians. */
  static BenchResult result(
      FunctionSpec function, String vmmIdentity, LatencySummary boot, LatencySummary restore) {
    Map<String, Object> facts = new LinkedHashMap<>();
    facts.put("function", function.id());
    facts.put("vmm", vmmIdentity);
    facts.put("restoreOverBootMedian", restore.p50() / boot.p50());
    return BenchResult.ofThisMachine(
        Bench.VM,
        facts,
        List.of(
            BenchRow.of(ModelRow.VM_COLD_BOOT.label(), boot),
            BenchRow.of(ModelRow.VM_RESTORE.label(), restore)));
  }
}
