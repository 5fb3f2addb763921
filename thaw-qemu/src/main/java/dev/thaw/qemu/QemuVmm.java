package dev.thaw.qemu;

import dev.thaw.core.function.FunctionClient;
import dev.thaw.core.function.FunctionImage;
import dev.thaw.core.function.FunctionRequest;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.logs.LogSink;
import dev.thaw.core.vmm.MicroVm;
import dev.thaw.core.vmm.PreparedRestore;
import dev.thaw.core.vmm.RestorePhases;
import dev.thaw.core.vmm.RestoreWait;
import dev.thaw.core.vmm.VmSnapshot;
import dev.thaw.core.vmm.Vmm;
import dev.thaw.core.vmm.VmmIdentity;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
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
 * <p>Every clone of a snapshot resumes with the snapshot's memory, so its first request gives it
 * what must differ between clones: a seed for its RNG, the host's clock and a control key of its
 * own ({@link CloneResume}).
 *
 * <p>A function from an image ({@link FunctionSpec#fromImage}) gets two virtio disks: its root
 * filesystem image, read-only, and a writable layer ({@link DiskLayers}), which the guest joins
 * with overlayfs; the function's description reaches the guest as the fw_cfg file {@code
 * opt/thaw/fn} (any size, no quoting, unlike the kernel command line with its 2 KiB). Its guest
 * serves the control requests on {@link FunctionImage#CONTROL_PORT}, and the host forwards a port
 * of its own straight to the function's: an invocation crosses no extra process in the guest. A
 * snapshot keeps the layer as its disk file; a clone writes into an overlay of its own over it.
 *
 * <p>This class is the {@link Vmm} port's operations; each step is a class of its own: {@link
 * RestoreCompatibility} refuses snapshots this QEMU cannot restore, {@link QemuLauncher} starts
 * QEMU for a boot or for an incoming restore, and {@link CloneResume} makes a started VM a clone.
 */
public final class QemuVmm implements Vmm, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(QemuVmm.class);

  private final RestoreCompatibility compatibility;
  private final QemuLauncher launcher;
  private final GuestSecrets secrets = new GuestSecrets();
  private final CloneResume clones;

  /** Restores staged ahead on the pool's QEMUs; null without ({@link Builder#staged}). */
  private final StagedRestores staged;

  /** How often staged restores are checked against their snapshots' files while all is quiet. */
  private static final Duration SWEEP_PERIOD = Duration.ofSeconds(5);

  private QemuVmm(Builder b) {
    GuestImage image = Objects.requireNonNull(b.image, "image");
    this.clones = new CloneResume(secrets, b.reseedClones, b.phases);
    this.compatibility = new RestoreCompatibility(probe(b.binary, b.accelerator));
    this.launcher =
        new QemuLauncher(
            b.binary,
            b.accelerator,
            b.workRoot,
            image,
            compatibility.identity(),
            new DiskLayers(b.workRoot.resolve("layers"), b.layerSize, b.qemuImg),
            b.logs,
            b.logRate,
            b.refusedEgressPorts);
    if (b.staged > 0 && b.pool == 0) {
      throw new IllegalArgumentException("staged restores need a VMM pool (pool > 0)");
    }
    StagedRestores stages = null;
    if (b.pool > 0) {
      launcher.pool(b.pool);
      PooledStarts pool = launcher.pool().orElseThrow();
      if (b.hostQuiet != null) {
        HostQuiet.open(b.hostQuiet).ifPresent(pool::hostQuiet);
      }
      if (b.staged > 0) {
        stages = new StagedRestores(b.staged, pool);
        pool.quietWork(stages::runOne, SWEEP_PERIOD);
      }
    }
    this.staged = stages;
  }

  /** The identity snapshots made by {@code binary} with {@code accelerator} carry. */
  public static VmmIdentity probe(String binary, String accelerator) {
    return RestoreCompatibility.probe(binary, accelerator);
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public VmmIdentity identity() {
    return compatibility.identity();
  }

  @Override
  public MicroVm boot(FunctionSpec function, Duration readyTimeout) {
    QemuMicroVm vm = launcher.boot(function, secrets.controlKey());
    vm.awaitGuest(readyTimeout, GuestReadiness.After.BOOT, () -> "/health");
    log.info("booted {} as {} on {}", function.id(), vm.id(), vm.endpoint());
    return vm;
  }

  /**
   * {@inheritDoc}
   *
   * <p>With a pool, the restore takes a started QEMU if it can, and once its guest answered (or it
   * failed) the pool refills: a QEMU starting beside the restore would take a core from it.
   */
  @Override
  public MicroVm restore(VmSnapshot snapshot, Duration readyTimeout) {
    return restore(snapshot, RestoreWait.of(readyTimeout));
  }

  /**
   * {@inheritDoc}
   *
   * <p>The time QEMU's threads wait for a CPU is read from Linux's per-thread scheduler statistics
   * ({@link CpuWaits}).
   */
  @Override
  public MicroVm restore(VmSnapshot snapshot, RestoreWait wait) {
    try (VmmPool.Restoring restoring = launcher.restoring()) {
      long t0 = System.nanoTime();
      compatibility.check(snapshot);
      Optional<QemuMicroVm> ready =
          staged != null && launcher.poolable(snapshot) ? staged.take(snapshot) : Optional.empty();
      if (ready.isPresent()) {
        MicroVm restored =
            clones.resumeStaged(ready.get(), wait, Duration.ofNanos(System.nanoTime() - t0));
        expectRestore(snapshot);
        return restored;
      }
      QemuMicroVm vm =
          launcher.incoming(
              snapshot.function(), snapshot.memoryFile(), snapshot.disk().orElse(null));
      long started = System.nanoTime();
      MicroVm restored = clones.resume(vm, snapshot, wait, Duration.ofNanos(started - t0));
      expectRestore(snapshot); // staged again for the next cold start
      log.debug(
          "restored {} as {}: QEMU ready in {} µs, state loaded and guest answered in {} µs",
          snapshot.function().id(),
          vm.id(),
          (started - t0) / 1000,
          (System.nanoTime() - started) / 1000);
      return restored;
    }
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
      return PreparedRestores.deferred(function, memoryFile, this::restore);
    }
    QemuMicroVm vm;
    try {
      vm = launcher.incoming(function, memoryFile, null);
    } finally {
      launcher.refillPool(); // the fetch runs beside it anyway
    }
    return PreparedRestores.started(vm, function, compatibility, clones);
  }

  /** {@inheritDoc} With staged restores, the snapshot is staged in the pool's next quiet. */
  @Override
  public void expectRestore(VmSnapshot snapshot) {
    if (staged != null && launcher.poolable(snapshot)) {
      staged.want(snapshot);
    }
  }

  /**
   * Waits up to {@code timeout} for the VMM pool to hold as many started QEMUs as it keeps; whether
   * it does (false without a pool). Benchmarks wait so that a refill does not compete with the
   * restore they time.
   */
  public boolean awaitPool(Duration timeout) throws InterruptedException {
    Optional<PooledStarts> pool = launcher.pool();
    return pool.isPresent() && pool.get().awaitFull(timeout);
  }

  /** The directory in which this user's agents on this host record their restores. */
  public static Path defaultHostQuiet() {
    return HostQuiet.defaultDir();
  }

  /** How many restores are staged ahead now ({@link Builder#staged}). */
  public int staged() {
    return staged == null ? 0 : staged.staged();
  }

  /** Stops the staged VMs and the pool's idle QEMUs; the VMs handed out are their owners'. */
  @Override
  public void close() {
    if (staged != null) {
      staged.close();
    }
    launcher.close();
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
    private int pool;
    private int staged;
    private Path hostQuiet;
    private Consumer<RestorePhases> phases = p -> {};
    private java.util.Set<Integer> refusedEgressPorts = java.util.Set.of();

    private Builder() {}

    /**
     * How many QEMUs to keep started ahead for restores (default 0: none). Each idle one costs a
     * process of about 31 MiB and no guest memory; a restore of a built-in function without egress
     * takes one instead of starting QEMU. {@link QemuVmm#close} stops them.
     */
    public Builder pool(int size) {
      if (size < 0 || size > 64) {
        throw new IllegalArgumentException("the VMM pool holds 0 to 64 QEMUs: " + size);
      }
      this.pool = size;
      return this;
    }

    /**
     * How many restores to keep staged ahead on the pool's QEMUs (default 0: none; needs a {@link
     * #pool}): each snapshot restored here is loaded again into a pooled QEMU in the pause after,
     * paused, for its next cold start, which then only resumes it ({@link StagedRestores}). Each
     * staged one costs a QEMU process of about 38 MiB (its machine built) and its guest's memory
     * mapped, not read.
     */
    public Builder staged(int size) {
      if (size < 0 || size > 64) {
        throw new IllegalArgumentException("staged restores are 0 to 64: " + size);
      }
      this.staged = size;
      return this;
    }

    /**
     * Makes the pool wait also for the restores of the host's other agents that use {@code dir}
     * (default: none, this VMM's own restores only): agents sharing a machine then never start
     * QEMUs or stage restores beside each other's cold starts ({@link HostQuiet}). {@link
     * #defaultHostQuiet} is every agent's of this user.
     */
    public Builder hostQuiet(Path dir) {
      this.hostQuiet = Objects.requireNonNull(dir);
      return this;
    }

    /** Told where the time of each restore went (default: nobody). */
    public Builder restorePhases(Consumer<RestorePhases> phases) {
      this.phases = Objects.requireNonNull(phases);
      return this;
    }

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

    /**
     * Ports no function's egress may connect to at any address, whatever its rules say: the ports
     * of the cluster's own services that listen beyond the host (the agents' peer port).
     */
    public Builder refusedEgressPorts(java.util.Set<Integer> ports) {
      this.refusedEgressPorts = java.util.Set.copyOf(ports);
      return this;
    }

    public QemuVmm build() {
      return new QemuVmm(this);
    }
  }
}
