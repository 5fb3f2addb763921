package dev.thaw.cli;

import dev.thaw.bench.soak.DeadSnapshotReports;
import dev.thaw.bench.soak.SoakFigures;
import dev.thaw.bench.soak.SoakRounds;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.io.FileTrees;
import dev.thaw.qemu.GuestImage;
import dev.thaw.qemu.QemuVmm;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code thaw bench soak}: many snapshot cycles through the agent path, counting dead snapshots.
 * The cycles run in {@link SoakRounds}; this command parses the options, opens the guest image and
 * the VMM, and prints what the rounds return.
 */
@Command(
    name = "soak",
    mixinStandardHelpOptions = true,
    description = {
      "Counts dead snapshots over many snapshot cycles through node agents.",
      "Runs boot, snapshot, restore and invoke cycles, several at once, and reports each",
      "snapshot whose clones never answered with its QMP state and console."
    })
final class BenchSoakCommand implements Callable<Integer> {
  @Option(
      names = "--cycles",
      defaultValue = "200",
      description = "Cycles in all, shared among the functions. Default: ${DEFAULT-VALUE}.")
  int cycles;

  @Option(
      names = "--functions",
      split = ",",
      defaultValue = "hello,stateful,stateful-64,hello-small",
      description = "The demo's functions to cycle through. Default: ${DEFAULT-VALUE}.")
  List<String> functionIds;

  @Option(
      names = "--parallel",
      defaultValue = "3",
      description = "Cycles in flight at once, each on its own agent. Default: ${DEFAULT-VALUE}.")
  int parallel;

  @Option(
      names = "--out",
      defaultValue = "thaw-soak-results",
      description = "Where the report of each dead snapshot goes. Default: ${DEFAULT-VALUE}.")
  Path outDir;

  @Mixin JsonOutput json;

  private final PrintStream out = System.out;

  @Override
  public Integer call() throws Exception {
    List<FunctionSpec> functions = new ArrayList<>();
    for (String id : functionIds) {
      FunctionSpec f = DemoCommand.FUNCTIONS.get(id);
      if (f == null) {
        throw new IllegalArgumentException(
            "unknown function " + id + "; known: " + DemoCommand.FUNCTIONS.keySet());
      }
      functions.add(f);
    }
    if (cycles < 1 || parallel < 1 || parallel > 8) {
      throw new IllegalArgumentException("need --cycles >= 1 and --parallel within 1..8");
    }
    SoakRounds.Shape shape = new SoakRounds.Shape(functions, cycles, parallel);
    Path root = Files.createTempDirectory("thaw-bench-soak-");
    try {
      return run(shape, root);
    } finally {
      FileTrees.deleteQuietly(root);
    }
  }

  private int run(SoakRounds.Shape shape, Path root) throws Exception {
    GuestImage image = GuestImage.ensure(out::println);
    QemuVmm vmm = QemuVmm.builder().image(image).workRoot(root.resolve("vms")).build();
    Files.createDirectories(outDir);
    out.printf(
        "thaw bench soak: %d cycles of %s, %d at once, on %s%n",
        cycles, functionIds, parallel, vmm.identity());
    DeadSnapshotReports dead = new DeadSnapshotReports(outDir, out);
    SoakFigures figures = new SoakRounds(vmm, image.digests(), dead, out).run(shape, root);
    out.println();
    out.print(figures.report());
    json.write(
        doc -> {
          doc.put("cycles", figures.cycles().size());
          doc.put("functions", functionIds);
          doc.put("parallel", parallel);
          doc.put("deadAtVerify", figures.deadAtVerify());
          doc.put("deadAtRestore", figures.deadAtRestore());
          doc.put("bootMs", figures.bootMs());
          doc.put("restoreMs", figures.restoreMs().orElse(null));
        },
        out);
    return figures.dead().isEmpty() ? 0 : 1;
  }
}
