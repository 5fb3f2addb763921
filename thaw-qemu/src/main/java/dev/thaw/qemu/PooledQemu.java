package dev.thaw.qemu;

import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.io.FileTrees;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A QEMU started ahead of any restore ({@link VmmPool}), waiting in {@code --preconfig}: the
 * process is exec'd, its libraries loaded, TCG set up and QMP connected, but no machine exists yet,
 * so it maps no guest memory (about 31 MiB resident). Only the vCPU count is fixed at start (TCG
 * sizes its contexts by it).
 *
 * <p>{@link #network} and {@link #machine} make it the VM of one restore, in five QMP commands: the
 * user network with the VM's forwards ({@code netdev_add}), the machine's memory size, the
 * snapshot's memory file as the machine's RAM ({@code object-add} of a private {@code
 * memory-backend-file}, linked as the machine's {@code memory-backend}), then {@code
 * x-exit-preconfig}, which builds the machine and its devices and leaves QEMU paused on {@code
 * -incoming defer}, as a VM started for a restore is. The device set is the one a built-in
 * function's VM has (a virtio-net device, the serial console), in the same order, so the snapshot's
 * device state loads into it.
 */
final class PooledQemu implements VmmPool.Slot {
  private final QemuProcess process;
  private final Path workDir;
  private final int vcpus;

  PooledQemu(QemuProcess process, Path workDir, int vcpus) {
    this.process = process;
    this.workDir = workDir;
    this.vcpus = vcpus;
  }

  /** Whether a restore of {@code function} can take a pooled VMM: a built-in without egress. */
  static boolean fits(FunctionSpec function) {
    return !function.fromImage() && function.egress().isEmpty();
  }

  @Override
  public int vcpus() {
    return vcpus;
  }

  @Override
  public boolean isAlive() {
    return process.isAlive();
  }

  QemuProcess process() {
    return process;
  }

  Path workDir() {
    return workDir;
  }

  /**
   * The network of {@code function}'s VM, forwarding {@code controlPort}: fails with QEMU's "host
   * forwarding" message when another process took the port, and can then be tried on another.
   */
  void network(FunctionSpec function, int controlPort) throws IOException {
    process
        .qmp()
        .execute(
            "netdev_add",
            Map.of(
                "type",
                "user",
                "id",
                "n0",
                "restrict",
                true,
                "hostfwd",
                List.of(
                    Map.of(
                        "str",
                        "tcp:127.0.0.1:"
                            + controlPort
                            + "-:"
                            + QemuCommandLine.controlPort(function)))));
  }

  /** Gives the machine {@code memory}, mapped privately, and builds it (see the class doc). */
  void machine(FunctionSpec function, Path memory) throws IOException {
    long bytes = (long) function.memoryMib() << 20;
    QmpClient qmp = process.qmp();
    qmp.execute(
        "qom-set",
        Map.of("path", "/machine", "property", "memory", "value", Map.of("size", bytes)));
    qmp.execute(
        "object-add",
        Map.of(
            "qom-type",
            "memory-backend-file",
            "id",
            "mem",
            "size",
            bytes,
            "mem-path",
            memory.toAbsolutePath().toString(),
            "share",
            false));
    qmp.execute(
        "qom-set", Map.of("path", "/machine", "property", "memory-backend", "value", "mem"));
    qmp.execute("x-exit-preconfig", Map.of());
  }

  @Override
  public void close() {
    process.close();
    FileTrees.deleteQuietly(workDir);
  }

  @Override
  public String toString() {
    return "PooledQemu[" + workDir.getFileName() + ", " + vcpus + " vCPU]";
  }
}
