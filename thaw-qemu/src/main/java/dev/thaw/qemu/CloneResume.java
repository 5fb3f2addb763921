package dev.thaw.qemu;

import dev.thaw.core.vmm.MicroVm;
import dev.thaw.core.vmm.RestorePhases;
import dev.thaw.core.vmm.RestoreWait;
import dev.thaw.core.vmm.VmSnapshot;
import java.io.IOException;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * Brings a VM started for a restore ({@link QemuLauncher#incoming}) to life as a clone of a
 * snapshot: loads the snapshot's state, resumes the vCPUs and waits until the guest answers.
 *
 * <p>Every clone of a snapshot resumes with the snapshot's memory: the same kernel RNG state and
 * the wall clock of the moment of the snapshot. A restore's first request to the guest, before it
 * is handed out, is therefore {@code GET /_thaw/resume?seed=<32 bytes in hex>&t=<epoch ns>} ({@link
 * GuestSecrets#resumeTarget}): the seed, fresh for each attempt, is credited to the guest kernel's
 * entropy pool and the CRNG reseeded from it, and the guest's {@code CLOCK_REALTIME} is set to
 * {@code t}. The same request gives the clone a control key of its own. The guest serves one
 * connection at a time, so no request is answered before that one. (QEMU's {@code vmgenid} device
 * would be the kernel's own way, but the microvm machine does not describe it in its ACPI tables,
 * so the guest's driver never binds.)
 */
final class CloneResume {
  private final GuestSecrets secrets;
  private final boolean reseed;
  private final Consumer<RestorePhases> phases;

  /**
   * @param reseed whether clones are reseeded and given their own key; off only for tests that show
   *     what a clone gets without it, whose guests are probed with {@code GET /health}
   * @param phases told where the time of each restore that succeeded went
   */
  CloneResume(GuestSecrets secrets, boolean reseed, Consumer<RestorePhases> phases) {
    this.secrets = secrets;
    this.reseed = reseed;
    this.phases = phases;
  }

  /**
   * Loads {@code snapshot} into {@code vm}, resumes it and waits for its guest as {@code wait}
   * says. On failure the VM is stopped and the typed error thrown: a state QEMU cannot load is
   * sorted by {@link RestoreCompatibility#loadFailure}, a guest that does not come up by {@link
   * GuestReadiness}. {@code start} is the time QEMU took to be ready for it.
   */
  MicroVm resume(QemuMicroVm vm, VmSnapshot snapshot, RestoreWait wait, Duration start) {
    long t0 = System.nanoTime();
    try {
      vm.loadState(snapshot.stateFile());
    } catch (IOException e) {
      String out = vm.vmmOutput();
      vm.close();
      throw RestoreCompatibility.loadFailure(snapshot, e, out);
    }
    vm.controlKey(snapshot.controlKey());
    return run(vm, wait, start, Duration.ofNanos(System.nanoTime() - t0), false);
  }

  /**
   * Resumes {@code vm}, staged ahead for {@code snapshot} with its state loaded ({@link
   * StagedRestores}), and waits for its guest as {@code wait} says. {@code start} is the time it
   * took to find it.
   */
  MicroVm resumeStaged(QemuMicroVm vm, RestoreWait wait, Duration start) {
    return run(vm, wait, start, Duration.ZERO, true);
  }

  private MicroVm run(
      QemuMicroVm vm, RestoreWait wait, Duration start, Duration load, boolean staged) {
    long t1 = System.nanoTime();
    vm.resume();
    long t2 = System.nanoTime();
    if (reseed) {
      // The clone's own key from its first request on: the snapshot's stays with the snapshot.
      String key = secrets.controlKey();
      vm.awaitRestored(wait, () -> secrets.resumeTarget() + "&key=" + key);
      vm.controlKey(key);
    } else {
      vm.awaitRestored(wait, () -> "/health");
    }
    phases.accept(
        new RestorePhases(
            vm.pooled(),
            start,
            load,
            Duration.ofNanos(t2 - t1),
            Duration.ofNanos(System.nanoTime() - t2),
            staged));
    return vm;
  }
}
