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
 *
 * <p>With a second VMM that keeps a pool of started QEMUs, each round restores once on each VMM,
 * alternating which goes first, and waits before each restore until the pool is full again: a
 * refill (a QEMU starting) never competes for the cores with a restore being timed, and both
 * methods see the same machine.
 */
public final class BootRestoreRounds {
  private static final Duration READY = Duration.ofSeconds(120);

  private final Vmm vmm;
  private final Vmm pooled;
  private final PoolReady poolReady;
  private final RestoreBreakdown breakdown;
  private final Path root;
  private final PrintStream out;
  private final FunctionClient client = new FunctionClient(Duration.ofSeconds(30));

  /** Waits up to a time for a VMM's pool to be full; whether it is. */
  @FunctionalInterface
  public interface PoolReady {
    boolean await(Duration timeout) throws InterruptedException;
  }

  /** Rounds on {@code vmm}, with the snapshot under {@code root}. */
  public BootRestoreRounds(Vmm vmm, Path root, PrintStream out) {
    this(vmm, null, t -> true, new RestoreBreakdown(), root, out);
  }

  /**
   * Rounds on {@code vmm} and on {@code pooled} (a VMM with a pool, which {@code poolReady} waits
   * for; null for none), whose restores' phases both VMMs tell {@code breakdown}.
   */
  public BootRestoreRounds(
      Vmm vmm,
      Vmm pooled,
      PoolReady poolReady,
      RestoreBreakdown breakdown,
      Path root,
      PrintStream out) {
    this.vmm = vmm;
    this.pooled = pooled;
    this.poolReady = poolReady;
    this.breakdown = breakdown;
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
    List<Double> pooledMs = new ArrayList<>();
    for (int i = 1; i <= restores; i++) {
      boolean pooledFirst = pooled != null && i % 2 == 0;
      for (int k = 0; k < (pooled == null ? 1 : 2); k++) {
        boolean onPool = pooledFirst == (k == 0) && pooled != null;
        double ms = restore(onPool ? pooled : vmm, snapshot, i, restores, onPool);
        (onPool ? pooledMs : restoreMs).add(ms);
      }
    }
    return new BootRestoreTimes(
        LatencySummary.of(bootMs),
        LatencySummary.of(restoreMs),
        pooledMs.isEmpty() ? null : LatencySummary.of(pooledMs));
  }

  /** One restore on {@code on}, timed until the function's first answer; its phases noted. */
  private double restore(Vmm on, VmSnapshot snapshot, int i, int restores, boolean onPool)
      throws IOException {
    if (pooled != null) {
      try {
        if (!poolReady.await(Duration.ofSeconds(60))) {
          throw new IOException("the VMM pool did not fill within 60 s");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      }
    }
    long t0 = System.nanoTime();
    try (MicroVm vm = on.restore(snapshot, READY)) {
      long restored = System.nanoTime();
      String body = client.get(vm.endpoint(), "/").body();
      long answered = System.nanoTime();
      breakdown.invoked(Duration.ofNanos(answered - restored));
      double ms = (answered - t0) / 1e6;
      out.printf(
          "  restore%s %d/%d: first response after %.0f ms  %s%n",
          onPool ? " (pooled VMM)" : "", i, restores, ms, body);
      return ms;
    }
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
