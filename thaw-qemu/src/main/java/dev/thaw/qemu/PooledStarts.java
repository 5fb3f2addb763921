package dev.thaw.qemu;

import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.vmm.VmState;
import dev.thaw.core.vmm.VmmIdentity;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The restores' side of the VMM pool: takes a started QEMU ({@link PooledQemu}) of a restore's
 * shape from the {@link VmmPool} and makes it the restore's VM, paused on {@code -incoming defer}
 * like a VM {@link QemuLauncher} starts for a restore.
 */
final class PooledStarts implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PooledStarts.class);

  private final VmmPool<PooledQemu> pool;
  private final VmmIdentity identity;

  PooledStarts(VmmPool<PooledQemu> pool, VmmIdentity identity) {
    this.pool = pool;
    this.identity = identity;
  }

  /**
   * A pooled QEMU made the VM of a restore of {@code function} (one that {@link PooledQemu#fits})
   * on {@code memory}; empty when none of its shape is idle or the one taken failed to bind.
   */
  Optional<QemuMicroVm> take(FunctionSpec function, Path memory) {
    return pool.take(function.vcpus()).flatMap(s -> bind(s, function, memory));
  }

  /** {@link VmmPool#hasIdle}. */
  boolean hasIdle(int vcpus) {
    return pool.hasIdle(vcpus);
  }

  /** {@link VmmPool#hostQuiet}. */
  void hostQuiet(HostQuiet quiet) {
    pool.hostQuiet(quiet);
  }

  /** {@link VmmPool#quietWork}. */
  void quietWork(VmmPool.QuietWork work, Duration period) {
    pool.quietWork(work, period);
  }

  /** Refills the pool in the background. */
  void refill() {
    pool.refill();
  }

  /** {@link VmmPool#restoring}. */
  VmmPool.Restoring restoring() {
    return pool.restoring();
  }

  /** {@link VmmPool#awaitFull}. */
  boolean awaitFull(Duration timeout) throws InterruptedException {
    return pool.awaitFull(timeout);
  }

  /**
   * Makes the pooled {@code slot} the VM of a restore of {@code function} on {@code memory}; empty
   * (and the slot closed) when QEMU refuses, for the restore to start a QEMU of its own.
   */
  private Optional<QemuMicroVm> bind(PooledQemu slot, FunctionSpec function, Path memory) {
    try {
      int port;
      for (int attempt = 1; ; attempt++) {
        port = QemuLauncher.freePorts(1)[0];
        try {
          slot.network(function, port);
          break;
        } catch (QmpException e) {
          // Another process took the port between our probe and QEMU's bind: pick another.
          if (attempt >= QemuLauncher.START_ATTEMPTS
              || !e.getMessage().contains("host forwarding")) {
            throw e;
          }
        }
      }
      slot.machine(function, memory);
      String id = slot.workDir().getFileName().toString();
      QemuMicroVm vm =
          new QemuMicroVm(
              id,
              identity,
              slot.process(),
              function,
              port,
              port,
              slot.workDir(),
              false,
              VmState.PAUSED,
              VmChannels.NONE);
      vm.pooled(true);
      return Optional.of(vm);
    } catch (IOException | RuntimeException e) {
      log.warn(
          "a pooled VMM could not take a restore of {}, starting one instead: {} {}",
          function.id(),
          e.getMessage(),
          QemuProcess.outputIn(slot.workDir()));
      slot.close();
      return Optional.empty();
    }
  }

  @Override
  public void close() {
    pool.close();
  }
}
