package dev.thaw.qemu;

import dev.thaw.core.function.FunctionImage;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.io.FileTrees;
import dev.thaw.core.logs.LogSink;
import dev.thaw.core.vmm.BootException;
import dev.thaw.core.vmm.RestoreException;
import dev.thaw.core.vmm.VmSnapshot;
import dev.thaw.core.vmm.VmState;
import dev.thaw.core.vmm.VmmIdentity;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Starts the QEMU process of one microVM, up to its QMP connection: the VM's work directory and the
 * files QEMU opens there, the host ends of its channels, free loopback ports for its forwards, its
 * command line and environment. A VM to {@link #boot} runs the guest image on a memory file mapped
 * shared; an {@link #incoming} one waits paused on {@code -incoming defer} for a snapshot's state,
 * its memory file mapped privately, so that it can be started before the snapshot is chosen or
 * complete.
 *
 * <p>With a {@link #pool}, a restore of a function that {@link PooledQemu#fits} takes a QEMU
 * started ahead and gives it the VM's network and the snapshot's memory file, instead of starting a
 * process; with none idle (or when the pooled one fails to take it) it starts one as without a
 * pool.
 *
 * <p>Each start fails whole: whatever it made (work directory, channels, process) is gone again
 * when it throws.
 */
final class QemuLauncher implements AutoCloseable {
  private static final Duration QMP_TIMEOUT = Duration.ofSeconds(10);
  static final int START_ATTEMPTS = 3;

  /**
   * How long after a restore the pool starts its next QEMU: the cold start's first invocation
   * follows the restore at once, and a QEMU starting beside it took a core from it (the function's
   * first answer took twice as long in {@code thaw bench vm} with the refill started at once).
   */
  private static final Duration REFILL_DELAY = Duration.ofMillis(250);

  private final String binary;
  private final Path workRoot;
  private final GuestImage image;
  private final VmmIdentity identity;
  private final DiskLayers layers;
  private final QemuCommandLine commandLines;
  private final LogSink logs;
  private final long logRate;
  private final Set<Integer> refusedEgressPorts;
  private final AtomicLong sequence = new AtomicLong();
  private volatile PooledStarts pool;

  QemuLauncher(
      String binary,
      String accelerator,
      Path workRoot,
      GuestImage image,
      VmmIdentity identity,
      DiskLayers layers,
      LogSink logs,
      long logRate,
      Set<Integer> refusedEgressPorts) {
    this.binary = binary;
    this.workRoot = workRoot;
    this.image = image;
    this.identity = identity;
    this.layers = layers;
    this.commandLines = new QemuCommandLine(image, accelerator);
    this.logs = logs;
    this.logRate = logRate;
    this.refusedEgressPorts = Set.copyOf(refusedEgressPorts);
  }

  /**
   * Boots {@code function}'s guest, which asks {@code controlKey} of control requests (QEMU passes
   * it on as a fw_cfg file only this user reads). Returns the VM once QEMU answers QMP; its guest
   * may still be coming up.
   *
   * @throws BootException when QEMU does not start
   */
  QemuMicroVm boot(FunctionSpec function, String controlKey) {
    Path workDir = newWorkDir("boot-" + function.id());
    try {
      if (function.fromImage()) {
        prepareBootDisk(function, workDir);
      }
      writeControlKey(workDir.resolve(QemuCommandLine.CONTROL_KEY), controlKey);
      QemuMicroVm vm = launch(function, workDir, workDir.resolve("memory"), true, null);
      vm.controlKey(controlKey);
      return vm;
    } catch (IOException e) {
      String out = QemuProcess.outputIn(workDir);
      String console = ConsoleLog.in(workDir).text();
      FileTrees.deleteQuietly(workDir);
      throw new BootException(
          "cannot boot " + function.id() + ": " + e.getMessage(), out, console, e);
    }
  }

  /**
   * Starts QEMU paused on {@code -incoming defer} with {@code memoryFile} mapped privately, for a
   * snapshot of {@code function} to be loaded into. A function from an image writes into a layer of
   * its own over {@code snapshotDisk}, the snapshot's; a built-in one has none (null).
   *
   * @throws RestoreException when QEMU does not start
   */
  QemuMicroVm incoming(FunctionSpec function, Path memoryFile, Path snapshotDisk) {
    PooledStarts p = pool;
    if (p != null && snapshotDisk == null && PooledQemu.fits(function) && !served(memoryFile)) {
      Optional<QemuMicroVm> vm = p.take(function, memoryFile);
      if (vm.isPresent()) {
        return vm.get();
      }
    }
    Path workDir = newWorkDir("restore-" + function.id());
    try {
      if (snapshotDisk != null) {
        layers.newOverlay(snapshotDisk, workDir.resolve(QemuCommandLine.LAYER));
      }
      return launch(
          function,
          workDir,
          memoryFile,
          false,
          snapshotDisk == null ? null : snapshotDisk.toAbsolutePath());
    } catch (IOException e) {
      String out = QemuProcess.outputIn(workDir);
      FileTrees.deleteQuietly(workDir);
      throw new RestoreException("cannot start QEMU for a restore: " + e.getMessage(), out, "", e);
    }
  }

  /**
   * Keeps {@code size} QEMUs started ahead for restores (see the class doc), refilled in the
   * background, until {@link #close}.
   */
  synchronized void pool(int size) {
    if (pool != null) {
      throw new IllegalStateException("the VMM pool is already set up");
    }
    pool = new PooledStarts(new VmmPool<>(size, this::startPooled, REFILL_DELAY), identity);
  }

  /**
   * Whether a restore of {@code snapshot} can take a pooled QEMU: a built-in function without
   * egress ({@link PooledQemu#fits}), whose memory is a plain file, not one served on demand.
   */
  boolean poolable(VmSnapshot snapshot) {
    return snapshot.disk().isEmpty()
        && PooledQemu.fits(snapshot.function())
        && !served(snapshot.memoryFile());
  }

  /** The pool, if there is one. */
  Optional<PooledStarts> pool() {
    return Optional.ofNullable(pool);
  }

  /** Starts one QEMU of the pool, with {@code vcpus}, waiting in {@code --preconfig}. */
  private PooledQemu startPooled(int vcpus) throws IOException {
    Path workDir = newWorkDir("pool");
    try {
      QemuProcess process =
          QemuProcess.start(
              binary, commandLines.pooled(vcpus, workDir), workDir, QMP_TIMEOUT, Map.of());
      return new PooledQemu(process, workDir, vcpus);
    } catch (IOException | RuntimeException e) {
      FileTrees.deleteQuietly(workDir);
      throw e;
    }
  }

  /** Refills the pool, if there is one, in the background: a restore asks once it is done. */
  void refillPool() {
    PooledStarts p = pool;
    if (p != null) {
      p.refill();
    }
  }

  /**
   * A restore begins: the pool, if there is one, starts no QEMU until it has ended (closing it asks
   * for a refill).
   */
  VmmPool.Restoring restoring() {
    PooledStarts p = pool;
    return p == null ? () -> {} : p.restoring();
  }

  /** Stops the pool's idle QEMUs; VMs already handed out are their owners'. */
  @Override
  public void close() {
    PooledStarts p = pool;
    if (p != null) {
      p.close();
    }
  }

  /** The boot's writable layer and the function's description for the guest. */
  private void prepareBootDisk(FunctionSpec function, Path workDir) throws IOException {
    FunctionImage fn = function.image();
    if (!Files.isRegularFile(fn.rootfs())) {
      throw new IOException("root filesystem image " + fn.rootfs() + " does not exist");
    }
    layers.newLayer(workDir.resolve(QemuCommandLine.LAYER));
    Files.write(
        workDir.resolve(QemuCommandLine.DESCRIPTION), EgressProxy.guestDescription(function));
  }

  /** Writes {@code key} where only this user can read it, for the guest's fw_cfg file. */
  private static void writeControlKey(Path file, String key) throws IOException {
    Files.deleteIfExists(file);
    Files.createFile(
        file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(file, key);
  }

  /**
   * Starts QEMU on {@code memory}: to {@code boot} the guest image into it, mapped shared (a
   * snapshot is taken from that file), or else for a restore, mapped privately and paused on {@code
   * -incoming defer}; a restore of a function from an image reads {@code snapshotDisk}, the
   * snapshot's layer, under the clone's own.
   */
  private QemuMicroVm launch(
      FunctionSpec function, Path workDir, Path memory, boolean boot, Path snapshotDisk)
      throws IOException {
    VmChannels channels = channels(function, workDir);
    try {
      return launch(function, workDir, memory, boot, snapshotDisk, channels);
    } catch (IOException | RuntimeException e) {
      channels.close();
      throw e;
    }
  }

  /** The host ends of the VM's egress (with egress rules) and outputs (from an image). */
  private VmChannels channels(FunctionSpec function, Path workDir) throws IOException {
    EgressProxy egress =
        function.egress().isEmpty()
            ? null
            : EgressProxy.forVm(function, workDir, refusedEgressPorts);
    try {
      FunctionOutput output =
          function.fromImage()
              ? FunctionOutput.listen(
                  function.id(),
                  workDir.getFileName().toString(),
                  logs,
                  logRate,
                  QemuProcess.socketDir())
              : null;
      return new VmChannels(Optional.ofNullable(egress), Optional.ofNullable(output));
    } catch (IOException | RuntimeException e) {
      if (egress != null) {
        egress.close();
      }
      throw e;
    }
  }

  private QemuMicroVm launch(
      FunctionSpec function,
      Path workDir,
      Path memory,
      boolean boot,
      Path snapshotDisk,
      VmChannels channels)
      throws IOException {
    IOException last = null;
    for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
      int[] free = freePorts(function.fromImage() ? 2 : 1);
      int port = free[0];
      int functionPort = free[free.length - 1];
      List<String> args =
          commandLines.of(
              function,
              workDir,
              memory,
              new QemuCommandLine.Ports(port, functionPort),
              boot,
              snapshotDisk,
              channels);
      try {
        QemuProcess process =
            QemuProcess.start(binary, args, workDir, QMP_TIMEOUT, environment(memory, boot));
        String id = workDir.getFileName().toString();
        VmState initial = boot ? VmState.RUNNING : VmState.PAUSED;
        return new QemuMicroVm(
            id, identity, process, function, port, functionPort, workDir, boot, initial, channels);
      } catch (IOException e) {
        // QEMU may connect to QMP before it sets up the network and exit just after: then the
        // failure shows as a closed QMP connection, not as a failed start. Its log tells.
        last = e;
        String out = QemuProcess.outputIn(workDir);
        if (!out.contains("host forwarding")) {
          throw e instanceof QemuStartException
              ? new IOException(e.getMessage() + (out.isEmpty() ? "" : ": " + out), e)
              : e;
        }
        // Another process took the port between our probe and QEMU's bind: pick another.
      }
    }
    throw last;
  }

  /**
   * What QEMU gets beside its usual environment: for a restore from a memory file served on demand
   * (a FUSE file system), the image's preload that drops QEMU's MADV_HUGEPAGE advice on guest RAM.
   * With the advice, each page the guest touches made the host read the 2–4 MiB around it from the
   * server (a hello clone read 592 of its 801 non-zero 64 KiB chunks before answering, 242
   * without). A plain file is left as it was: its pages come from the page cache.
   */
  private Map<String, String> environment(Path memory, boolean boot) {
    if (boot || image.restorePreload().isEmpty() || !served(memory)) {
      return Map.of();
    }
    return Map.of("LD_PRELOAD", image.restorePreload().get().toString());
  }

  /** Whether {@code file} lies on a FUSE file system (a memory file served on demand). */
  static boolean served(Path file) {
    try {
      return Files.getFileStore(file).type().startsWith("fuse");
    } catch (IOException e) {
      return false; // QEMU's own open reports a missing file
    }
  }

  private Path newWorkDir(String prefix) {
    try {
      Files.createDirectories(workRoot);
      return Files.createTempDirectory(workRoot, prefix + "-" + sequence.incrementAndGet() + "-");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a VM work directory in " + workRoot, e);
    }
  }

  /**
   * {@code count} distinct free loopback ports: every probe socket stays open until all are chosen,
   * so the kernel cannot hand the same port out twice (it did: two forwarding rules on one port).
   */
  static int[] freePorts(int count) throws IOException {
    List<ServerSocket> open = new ArrayList<>();
    try {
      int[] ports = new int[count];
      for (int i = 0; i < count; i++) {
        ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        open.add(s);
        ports[i] = s.getLocalPort();
      }
      return ports;
    } finally {
      for (ServerSocket s : open) {
        s.close();
      }
    }
  }
}
