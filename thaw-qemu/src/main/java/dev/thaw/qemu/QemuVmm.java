package dev.thaw.qemu;

import dev.thaw.core.function.FunctionClient;
import dev.thaw.core.function.FunctionImage;
import dev.thaw.core.function.FunctionRequest;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.io.FileTrees;
import dev.thaw.core.logs.LogSink;
import dev.thaw.core.vmm.BootException;
import dev.thaw.core.vmm.MicroVm;
import dev.thaw.core.vmm.PreparedRestore;
import dev.thaw.core.vmm.RestoreCorruptException;
import dev.thaw.core.vmm.RestoreException;
import dev.thaw.core.vmm.RestoreIncompatibleException;
import dev.thaw.core.vmm.VmSnapshot;
import dev.thaw.core.vmm.VmState;
import dev.thaw.core.vmm.Vmm;
import dev.thaw.core.vmm.VmmIdentity;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The QEMU {@code microvm} driver.
 *
 * <p>Guest RAM lives in a file ({@code memory-backend-file}). A booted VM maps it shared, so after
 * {@code stop} the file is the guest's memory and a snapshot only has to save device state ({@code
 * x-ignore-shared}: a few tens of KB, milliseconds). A restored VM maps the same file private (copy
 * on write), so the file never changes and serves any number of clones.
 *
 * <p>Every clone of a snapshot resumes with the snapshot's memory: the same kernel RNG state and
 * the wall clock of the moment of the snapshot. A restore's first request to the guest, before it
 * is handed out, is therefore {@code GET /_thaw/resume?seed=<32 bytes in hex>&t=<epoch ns>}: the
 * seed, fresh from this host's {@link SecureRandom} for each attempt, is credited to the guest
 * kernel's entropy pool and the CRNG reseeded from it, and the guest's {@code CLOCK_REALTIME} is
 * set to {@code t}. The guest serves one connection at a time, so no request is answered before
 * that one. (QEMU's {@code vmgenid} device would be the kernel's own way, but the microvm machine
 * does not describe it in its ACPI tables, so the guest's driver never binds.)
 *
 * <p>A function from an image ({@link FunctionSpec#fromImage}) gets two virtio disks: its root
 * filesystem image, read-only, and a writable layer ({@link DiskLayers}), which the guest joins
 * with overlayfs; the function's description reaches the guest as the fw_cfg file {@code
 * opt/thaw/fn} (any size, no quoting, unlike the kernel command line with its 2 KiB). Its guest
 * serves the control requests on {@link FunctionImage#CONTROL_PORT}, and the host forwards a port
 * of its own straight to the function's: an invocation crosses no extra process in the guest. A
 * snapshot keeps the layer as its disk file; a clone writes into an overlay of its own over it.
 */
public final class QemuVmm implements Vmm {
  private static final Logger log = LoggerFactory.getLogger(QemuVmm.class);
  private static final Pattern VERSION = Pattern.compile("version (\\d+\\.\\d+(?:\\.\\d+)?)");
  private static final Duration QMP_TIMEOUT = Duration.ofSeconds(10);
  private static final int START_ATTEMPTS = 3;

  private final String binary;
  private final String accelerator;
  private final Path workRoot;
  private final GuestImage image;
  private final VmmIdentity identity;
  private final AtomicLong sequence = new AtomicLong();
  private final boolean reseedClones;
  private final SecureRandom seeds = new SecureRandom();
  private final DiskLayers layers;
  private final QemuCommandLine commandLines;
  private final LogSink logs;
  private final long logRate;

  private QemuVmm(Builder b) {
    this.binary = b.binary;
    this.accelerator = b.accelerator;
    this.workRoot = b.workRoot;
    this.layers = new DiskLayers(workRoot.resolve("layers"), b.layerSize, b.qemuImg);
    this.image = Objects.requireNonNull(b.image, "image");
    this.commandLines = new QemuCommandLine(image, accelerator);
    this.logs = b.logs;
    this.logRate = b.logRate;
    this.reseedClones = b.reseedClones;
    this.identity = probe(binary, accelerator);
  }

  /** The identity snapshots made by {@code binary} with {@code accelerator} carry. */
  public static VmmIdentity probe(String binary, String accelerator) {
    return new VmmIdentity("qemu", detectVersion(binary), accelerator, "microvm");
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public VmmIdentity identity() {
    return identity;
  }

  @Override
  public MicroVm boot(FunctionSpec function, Duration readyTimeout) {
    Path workDir = newWorkDir("boot-" + function.id());
    Path memory = workDir.resolve("memory");
    QemuMicroVm vm;
    try {
      if (function.fromImage()) {
        prepareBootDisk(function, workDir);
      }
      String key = newControlKey();
      writeControlKey(workDir.resolve(QemuCommandLine.CONTROL_KEY), key);
      vm = start(function, workDir, memory, true, null);
      vm.controlKey(key);
    } catch (IOException e) {
      String out = readQuietly(workDir.resolve("qemu.log"));
      String console = readQuietly(workDir.resolve("console.log"));
      FileTrees.deleteQuietly(workDir);
      throw new BootException(
          "cannot boot " + function.id() + ": " + e.getMessage(), out, console, e);
    }
    vm.awaitGuest(readyTimeout, "boot", () -> "/health");
    log.info("booted {} as {} on {}", function.id(), vm.id(), vm.endpoint());
    return vm;
  }

  /** The boot's writable layer and the function's description for the guest. */
  private void prepareBootDisk(FunctionSpec function, Path workDir) throws IOException {
    FunctionImage image = function.image();
    if (!Files.isRegularFile(image.rootfs())) {
      throw new IOException("root filesystem image " + image.rootfs() + " does not exist");
    }
    layers.newLayer(workDir.resolve(QemuCommandLine.LAYER));
    Files.write(
        workDir.resolve(QemuCommandLine.DESCRIPTION), EgressProxy.guestDescription(function));
  }

  @Override
  public MicroVm restore(VmSnapshot snapshot, Duration readyTimeout) {
    long t0 = System.nanoTime();
    checkRestorable(snapshot);
    QemuMicroVm vm =
        startForRestore(snapshot.function(), snapshot.memoryFile(), snapshot.disk().orElse(null));
    long started = System.nanoTime();
    MicroVm restored = load(vm, snapshot, readyTimeout);
    log.debug(
        "restored {} as {}: QEMU started in {} µs, state loaded and guest answered in {} µs",
        snapshot.function().id(),
        vm.id(),
        (started - t0) / 1000,
        (System.nanoTime() - started) / 1000);
    return restored;
  }

  /**
   * Starts QEMU paused on {@code -incoming defer} with {@code memoryFile} mapped privately. Nothing
   * reads guest RAM before the state is loaded, so the file may still be filled meanwhile: pages
   * are read from the page cache when first touched.
   */
  @Override
  public PreparedRestore prepareRestore(FunctionSpec function, Path memoryFile) {
    if (function.fromImage()) {
      // QEMU opens the disks as it starts, and the snapshot's layer is not known (nor complete)
      // yet: such a restore starts QEMU when the snapshot is given, on memoryFile still (a served
      // file that fills as the guest runs, or another name of the snapshot's).
      return new PreparedRestore() {
        @Override
        public MicroVm restore(VmSnapshot snapshot, Duration readyTimeout) {
          if (!snapshot.function().equals(function)) {
            throw new IllegalArgumentException(
                "prepared for " + function.id() + ", given a snapshot of " + snapshot.function());
          }
          return QemuVmm.this.restore(snapshot.withMemoryFile(memoryFile), readyTimeout);
        }

        @Override
        public void close() {}
      };
    }
    QemuMicroVm vm = startForRestore(function, memoryFile, null);
    return new PreparedRestore() {
      private boolean handedOver;

      @Override
      public MicroVm restore(VmSnapshot snapshot, Duration readyTimeout) {
        handedOver = true;
        try {
          checkRestorable(snapshot);
          if (!snapshot.function().equals(function)) {
            throw new IllegalArgumentException(
                "prepared for "
                    + function.id()
                    + ", given a snapshot of "
                    + snapshot.function().id());
          }
        } catch (RuntimeException e) {
          vm.close();
          throw e;
        }
        return load(vm, snapshot, readyTimeout);
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

  private QemuMicroVm startForRestore(FunctionSpec function, Path memoryFile, Path disk) {
    Path workDir = newWorkDir("restore-" + function.id());
    try {
      if (disk != null) {
        layers.newOverlay(disk, workDir.resolve(QemuCommandLine.LAYER));
      }
      return start(
          function, workDir, memoryFile, false, disk == null ? null : disk.toAbsolutePath());
    } catch (IOException e) {
      String out = readQuietly(workDir.resolve("qemu.log"));
      FileTrees.deleteQuietly(workDir);
      throw new RestoreException("cannot start QEMU for a restore: " + e.getMessage(), out, "", e);
    }
  }

  private MicroVm load(QemuMicroVm vm, VmSnapshot snapshot, Duration readyTimeout) {
    try {
      vm.loadState(snapshot.stateFile());
    } catch (IOException e) {
      String out = vm.vmmOutput();
      vm.close();
      throw classifyRestoreFailure(snapshot, e, out);
    }
    vm.controlKey(snapshot.controlKey());
    vm.resume();
    if (reseedClones) {
      // The clone's own key from its first request on: the snapshot's stays with the snapshot.
      String key = newControlKey();
      vm.awaitGuest(readyTimeout, "restore", () -> resumeTarget() + "&key=" + key);
      vm.controlKey(key);
    } else {
      vm.awaitGuest(readyTimeout, "restore", () -> "/health");
    }
    return vm;
  }

  /**
   * Asks the guest control server of {@code vm} (a VM of this driver) for {@code path}, a {@code
   * /_thaw/...} request, with the VM's control key: what the agent may ask, for tools and tests.
   */
  public static FunctionClient.Response control(MicroVm vm, String path, FunctionClient client) {
    QemuMicroVm q = (QemuMicroVm) vm;
    return client.call(
        q.control(),
        new FunctionRequest(
            "GET", path, Map.of(GuestProbe.KEY_HEADER, q.controlKey()), new byte[0]));
  }

  /** A fresh control key: 32 hex digits from the host's SecureRandom. */
  private String newControlKey() {
    byte[] key = new byte[16];
    seeds.nextBytes(key);
    return HexFormat.of().formatHex(key);
  }

  /** Writes {@code key} where only this user can read it, for the guest's fw_cfg file. */
  private static void writeControlKey(Path file, String key) throws IOException {
    Files.deleteIfExists(file);
    Files.createFile(
        file,
        java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
            java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
    Files.writeString(file, key);
  }

  /** A restore's first request: a fresh seed for the guest's RNG and this host's wall clock. */
  private String resumeTarget() {
    byte[] seed = new byte[32];
    seeds.nextBytes(seed);
    Instant now = Instant.now();
    long epochNanos = now.getEpochSecond() * 1_000_000_000L + now.getNano();
    return "/_thaw/resume?seed=" + HexFormat.of().formatHex(seed) + "&t=" + epochNanos;
  }

  private void checkRestorable(VmSnapshot snapshot) {
    if (!identity.canRestore(snapshot.vmm())) {
      throw new RestoreIncompatibleException(
          "snapshot made by " + snapshot.vmm() + " cannot be restored by " + identity,
          "",
          "",
          null);
    }
    long expected = snapshot.function().memoryBytes();
    for (Path file : List.of(snapshot.memoryFile(), snapshot.stateFile())) {
      if (!Files.isRegularFile(file)) {
        throw new RestoreCorruptException("snapshot file missing: " + file, "", "", null);
      }
    }
    long size = sizeOf(snapshot.memoryFile());
    if (size != expected) {
      // QEMU would silently extend a short file (and so write to it): refuse before it starts.
      throw new RestoreCorruptException(
          "memory file "
              + snapshot.memoryFile()
              + " is "
              + size
              + " bytes; the VM has "
              + expected
              + (size < expected ? " (truncated)" : ""),
          "",
          "",
          null);
    }
    if (sizeOf(snapshot.stateFile()) == 0) {
      throw new RestoreCorruptException(
          "state file " + snapshot.stateFile() + " is empty", "", "", null);
    }
    if (snapshot.function().fromImage()) {
      Path rootfs = snapshot.function().image().rootfs();
      if (!Files.isRegularFile(rootfs)) {
        throw new RestoreException(
            "root filesystem image " + rootfs + " of " + snapshot.function().id() + " is missing",
            "",
            "",
            null);
      }
      Path disk = snapshot.diskFile();
      try {
        DiskLayers.virtualSize(disk);
      } catch (IOException e) {
        throw new RestoreCorruptException(
            "disk file " + disk + " is not a layer: " + e.getMessage(), "", "", e);
      }
    }
  }

  private static RestoreException classifyRestoreFailure(
      VmSnapshot snapshot, IOException e, String vmmOutput) {
    String said = (e.getMessage() + "\n" + vmmOutput).strip();
    // QEMU names RAM blocks whose size differs from this VM's a "Size/Length mismatch".
    if (said.contains("Size mismatch")
        || said.contains("Length mismatch")
        || said.contains("Unknown ramblock")) {
      return new RestoreIncompatibleException(
          "snapshot state of " + snapshot.function().id() + " does not fit this VM's memory layout",
          said,
          "",
          e);
    }
    return new RestoreCorruptException(
        "QEMU could not load the snapshot state " + snapshot.stateFile(), said, "", e);
  }

  /**
   * Starts QEMU on {@code memory}: to {@code boot} the guest image into it, mapped shared (a
   * snapshot is taken from that file), or else for a restore, mapped privately and paused on {@code
   * -incoming defer}; a restore of a function from an image reads {@code snapshotDisk}, the
   * snapshot's layer, under the clone's own.
   */
  private QemuMicroVm start(
      FunctionSpec function, Path workDir, Path memory, boolean boot, Path snapshotDisk)
      throws IOException {
    VmChannels channels = channels(function, workDir);
    try {
      return start(function, workDir, memory, boot, snapshotDisk, channels);
    } catch (IOException | RuntimeException e) {
      channels.close();
      throw e;
    }
  }

  /** The host ends of the VM's egress (with egress rules) and outputs (from an image). */
  private VmChannels channels(FunctionSpec function, Path workDir) throws IOException {
    EgressProxy egress = function.egress().isEmpty() ? null : EgressProxy.forVm(function, workDir);
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

  private QemuMicroVm start(
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
            id, this, process, function, port, functionPort, workDir, boot, initial, channels);
      } catch (IOException e) {
        // QEMU may connect to QMP before it sets up the network and exit just after: then the
        // failure shows as a closed QMP connection, not as a failed start. Its log tells.
        last = e;
        String out = readQuietly(workDir.resolve("qemu.log"));
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

  /** Migration options for the memory-file method: RAM in the shared file is not streamed. */
  static Map<String, Object> ignoreShared() {
    return Map.of("capabilities", List.of(Map.of("capability", "x-ignore-shared", "state", true)));
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

  private static long sizeOf(Path p) {
    try {
      return Files.size(p);
    } catch (IOException e) {
      throw new RestoreCorruptException("cannot read " + p + ": " + e.getMessage(), "", "", e);
    }
  }

  static String readQuietly(Path p) {
    try {
      return Files.exists(p) ? Files.readString(p).strip() : "";
    } catch (IOException e) {
      return "";
    }
  }

  private static String detectVersion(String binary) {
    try {
      Process p =
          ChildEnvironment.apply(
                  new ProcessBuilder(binary, "--version"),
                  ChildEnvironment.forQemu(System.getenv()))
              .redirectErrorStream(true)
              .start();
      String out = new String(p.getInputStream().readAllBytes());
      p.waitFor();
      Matcher m = VERSION.matcher(out);
      if (!m.find()) {
        throw new IllegalStateException("cannot parse the QEMU version from: " + out.strip());
      }
      return m.group(1);
    } catch (IOException e) {
      throw new IllegalStateException(
          "QEMU not found (" + binary + "): install qemu-system-x86 (scripts/setup does)", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while probing QEMU", e);
    }
  }

  /** Builder with defaults: {@code qemu-system-x86_64}, TCG, work root under the temp dir. */
  public static final class Builder {
    private String binary = "qemu-system-x86_64";
    private String accelerator = "tcg";
    private Path workRoot = Path.of(System.getProperty("java.io.tmpdir"), "thaw-vms");
    private GuestImage image;
    private boolean reseedClones = true;
    private long layerSize = 1L << 30;
    private String qemuImg = "qemu-img";
    private LogSink logs = LogSink.DISCARD;
    private long logRate = 1L << 20;

    private Builder() {}

    /** Where the lines functions from images write go (default: dropped). */
    public Builder logs(LogSink logs) {
      this.logs = Objects.requireNonNull(logs);
      return this;
    }

    /**
     * The most bytes per second one VM's output is read at (default 1 MiB/s); a function writing
     * faster waits in its writes.
     */
    public Builder logRate(long bytesPerSecond) {
      if (bytesPerSecond < 1024) {
        throw new IllegalArgumentException("the log rate is 1 KiB/s or more: " + bytesPerSecond);
      }
      this.logRate = bytesPerSecond;
      return this;
    }

    /**
     * The virtual size of the writable layer of a booted function from an image (default 1 GiB;
     * only what the guest writes takes space). Clones take their snapshot's size.
     */
    public Builder layerSize(long bytes) {
      if (bytes < (16L << 20) || bytes % (1L << 20) != 0) {
        throw new IllegalArgumentException(
            "the layer size is a multiple of 1 MiB, 16 MiB or more: " + bytes);
      }
      this.layerSize = bytes;
      return this;
    }

    /** The {@code qemu-img} binary that makes the layer templates. */
    public Builder qemuImg(String qemuImg) {
      this.qemuImg = Objects.requireNonNull(qemuImg);
      return this;
    }

    public Builder binary(String binary) {
      this.binary = Objects.requireNonNull(binary);
      return this;
    }

    /** {@code tcg} (works everywhere) or {@code kvm} (needs /dev/kvm usable by guests). */
    public Builder accelerator(String accelerator) {
      if (!accelerator.equals("tcg") && !accelerator.equals("kvm")) {
        throw new IllegalArgumentException("accelerator must be tcg or kvm: " + accelerator);
      }
      this.accelerator = accelerator;
      return this;
    }

    /** Where each VM gets its own working directory (QMP socket, console log). */
    public Builder workRoot(Path workRoot) {
      this.workRoot = Objects.requireNonNull(workRoot);
      return this;
    }

    public Builder image(GuestImage image) {
      this.image = Objects.requireNonNull(image);
      return this;
    }

    /**
     * Whether a restore reseeds its clone's RNG and sets its clock (the default). Off only for
     * tests that show what a clone gets without it: such a restore probes {@code GET /health}
     * instead.
     */
    Builder reseedClones(boolean reseedClones) {
      this.reseedClones = reseedClones;
      return this;
    }

    public QemuVmm build() {
      return new QemuVmm(this);
    }
  }
}
