package dev.thaw.qemu;

import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.vmm.MicroVm;
import dev.thaw.core.vmm.PreparedRestore;
import dev.thaw.core.vmm.RestoreWait;
import dev.thaw.core.vmm.VmSnapshot;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.BiFunction;

/** The restores {@link QemuVmm#prepareRestore} hands out, before their snapshot is complete. */
final class PreparedRestores {
  private PreparedRestores() {}

  /**
   * A restore of {@code function} (from an image) whose QEMU starts only when the snapshot is
   * given, reading its memory from {@code memoryFile} still, through {@code restore}.
   */
  static PreparedRestore deferred(
      FunctionSpec function,
      Path memoryFile,
      BiFunction<VmSnapshot, RestoreWait, MicroVm> restore) {
    return new PreparedRestore() {
      @Override
      public MicroVm restore(VmSnapshot snapshot, Duration readyTimeout) {
        return restore(snapshot, RestoreWait.of(readyTimeout));
      }

      @Override
      public MicroVm restore(VmSnapshot snapshot, RestoreWait wait) {
        requireFunction(function, snapshot);
        return restore.apply(snapshot.withMemoryFile(memoryFile), wait);
      }

      @Override
      public void close() {}
    };
  }

  /**
   * A restore of {@code function} on {@code vm}, a QEMU already started paused on {@code -incoming
   * defer}: the snapshot's state is loaded into it when given. Closing it unused stops the VM.
   */
  static PreparedRestore started(
      QemuMicroVm vm,
      FunctionSpec function,
      RestoreCompatibility compatibility,
      CloneResume clones) {
    return new PreparedRestore() {
      private boolean handedOver;

      @Override
      public MicroVm restore(VmSnapshot snapshot, Duration readyTimeout) {
        return restore(snapshot, RestoreWait.of(readyTimeout));
      }

      @Override
      public MicroVm restore(VmSnapshot snapshot, RestoreWait wait) {
        handedOver = true;
        try {
          compatibility.check(snapshot);
          requireFunction(function, snapshot);
        } catch (RuntimeException e) {
          vm.close();
          throw e;
        }
        return clones.resume(vm, snapshot, wait, Duration.ZERO);
      }

      @Override
      public void close() {
        if (!handedOver) {
          handedOver = true;
          vm.close();
        }
      }
    };
  }

  private static void requireFunction(FunctionSpec function, VmSnapshot snapshot) {
    if (!snapshot.function().equals(function)) {
      throw new IllegalArgumentException(
          "prepared for " + function.id() + ", given a snapshot of " + snapshot.function().id());
    }
  }
}
