package dev.thaw.bench.vm;

import dev.thaw.core.function.FunctionClient;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.stats.LatencySummary;
import dev.thaw.core.vmm.MicroVm;
import dev.thaw.core.vmm.VmSnapshot;
import dev.thaw.core.vmm.Vmm;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The measurement of {@code thaw bench vm}, on the VMM alone (no snapshot manager, cache or store):
 * boots a function cold a number of times, snapshots the last boot after its first response, and
 * restores that snapshot a number of times, each time until the first response. It prints a line
 * per boot, the snapshot and each restore as it goes.
 */
public final class BootRestoreRounds {
  private static final Duration READY = Duration.ofSeconds(120);

  private final Vmm vmm;
  private final Path root;
  private final PrintStream out;
  private final FunctionClient client = new FunctionClient(Duration.ofSeconds(30));

  /** Rounds on {@code vmm}, with the snapshot under {@code root}. */
  public BootRestoreRounds(Vmm vmm, Path root, PrintStream out) {
    this.vmm = vmm;
    this.root = root;
    this.out = out;
  }

  /** Boots {@code function} {@code boots} times, then restores it {@code restores} times. */
  public BootRestoreTimes measure(FunctionSpec function, int boots, int restores)
      throws IOException {
    if (boots < 1 || restores < 1) {
      throw new IllegalArgumentException("need a boot and a restore at least");
    }
    List<Double> bootMs = new ArrayList<>();
    VmSnapshot snapshot = null;
    for (int i = 1; i <= boots; i++) {
      long t0 = System.nanoTime();
      MicroVm vm = vmm.boot(function, READY);
      String body = client.get(vm.endpoint(), "/").body();
      double ms = (System.nanoTime() - t0) / 1e6;
      bootMs.add(ms);
      out.printf("  cold boot %d/%d: first response after %.0f ms  %s%n", i, boots, ms, body);
      if (i == boots) {
        snapshot = snapshot(vm);
      } else {
        vm.close();
      }
    }
    List<Double> restoreMs = new ArrayList<>();
    for (int i = 1; i <= restores; i++) {
      long t0 = System.nanoTime();
      try (MicroVm vm = vmm.restore(snapshot, READY)) {
        String body = client.get(vm.endpoint(), "/").body();
        double ms = (System.nanoTime() - t0) / 1e6;
        restoreMs.add(ms);
        out.printf("  restore %d/%d: first response after %.0f ms  %s%n", i, restores, ms, body);
      }
    }
    return new BootRestoreTimes(LatencySummary.of(bootMs), LatencySummary.of(restoreMs));
  }

  /** Pauses {@code vm} and snapshots it; the snapshot's files are what every restore reads. */
  private VmSnapshot snapshot(MicroVm vm) throws IOException {
    Path dir = Files.createDirectories(root.resolve("snapshot"));
    long s0 = System.nanoTime();
    vm.pause();
    VmSnapshot snapshot = vm.snapshot(dir);
    out.printf(
        "  snapshot: %.0f ms (memory file %d MiB, state %d KiB)%n",
        (System.nanoTime() - s0) / 1e6,
        Files.size(snapshot.memoryFile()) >> 20,
        Files.size(snapshot.stateFile()) >> 10);
    return snapshot;
  }
}
