package dev.thaw.qemu;

import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.io.FileTrees;
import dev.thaw.core.vmm.MicroVm;
import dev.thaw.core.vmm.RestoreWait;
import dev.thaw.core.vmm.SnapshotException;
import dev.thaw.core.vmm.VmSnapshot;
import dev.thaw.core.vmm.VmState;
import dev.thaw.core.vmm.VmmException;
import dev.thaw.core.vmm.VmmIdentity;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * One QEMU microvm under QMP control, through the states of {@link VmState}. A booted VM owns its
 * memory file (mapped shared) and is the only kind a snapshot is taken of; a restored clone maps
 * its snapshot's file privately. Closing it stops QEMU, closes its channels and deletes its work
 * directory. Thread-safe: lifecycle operations are serialized.
 */
final class QemuMicroVm implements MicroVm {
  private static final int CONSOLE_TAIL_LINES = 20;
  private static final Duration QUIESCE_TIMEOUT = Duration.ofSeconds(2);

  private static final Logger log = LoggerFactory.getLogger(QemuMicroVm.class);

  private final String id;
  private final VmmIdentity identity;
  private final QemuProcess process;
  private final FunctionSpec function;
  private final URI endpoint;
  private final URI control;
  private final Path workDir;
  private final ConsoleLog console;
  private final StateMigration migration;
  private final GuestConnections connections;
  private final boolean ownsMemory;
  private volatile VmState state;
  private final VmChannels channels;

  /** Whether its QEMU came from the VMM pool (started before the restore was asked for). */
  private volatile boolean pooled;

  /** What the guest asks of control requests (X-Thaw-Key): this host only knows it. */
  private volatile String controlKey = "";

  QemuMicroVm(
      String id,
      VmmIdentity identity,
      QemuProcess process,
      FunctionSpec function,
      int controlPort,
      int functionPort,
      Path workDir,
      boolean ownsMemory,
      VmState initial,
      VmChannels channels) {
    this.id = id;
    this.identity = identity;
    this.process = process;
    this.function = function;
    this.control = URI.create("http://127.0.0.1:" + controlPort);
    this.endpoint = URI.create("http://127.0.0.1:" + functionPort);
    this.workDir = workDir;
    this.console = ConsoleLog.in(workDir);
    this.migration = new StateMigration(process.qmp());
    this.connections = new GuestConnections(process.qmp());
    this.ownsMemory = ownsMemory;
    this.state = initial;
    this.channels = channels;
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public VmState state() {
    return state;
  }

  /**
   * Where invocations go. For a function from an image that is the function's own port; the guest's
   * control requests go to {@link #control()}.
   */
  @Override
  public URI endpoint() {
    return endpoint;
  }

  FunctionSpec function() {
    return function;
  }

  /** The key the guest asks of control requests; "" for none. */
  String controlKey() {
    return controlKey;
  }

  void controlKey(String key) {
    this.controlKey = key;
  }

  boolean pooled() {
    return pooled;
  }

  void pooled(boolean pooled) {
    this.pooled = pooled;
  }

  /** Where the guest's control server answers ({@code /health}, {@code /_thaw/...}). */
  URI control() {
    return control;
  }

  ConsoleLog console() {
    return console;
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /**
   * Stops the vCPUs. A booted VM (one a snapshot may be taken of) is paused only while no TCP
   * connection to its guest is open in QEMU's user-mode network: that network's connections are not
   * part of a snapshot, so a guest paused while it held one resumes in every clone waiting on a
   * peer that no longer exists (its one-connection-at-a-time server blocked for good). Such a
   * connection is let finish (the VM runs again for a few milliseconds) for up to {@link
   * #QUIESCE_TIMEOUT}.
   *
   * <p>A booted function from an image first has its guest write every dirty page to its layer. The
   * snapshot would be consistent without that (QEMU drains and flushes block requests when it
   * stops, and the page cache is in the memory file), but then every clone would write the same
   * dirty pages back into its own overlay after the restore; written once now, the snapshot's layer
   * holds them and each clone's overlay only what the clone itself changes.
   */
  @Override
  public synchronized void pause() {
    state.checkTransition(VmState.PAUSED, "pause");
    if (ownsMemory && function.fromImage()) {
      syncDisk();
    }
    command("stop", Map.of(), "pause");
    if (ownsMemory) {
      long t0 = System.nanoTime();
      long deadline = t0 + QUIESCE_TIMEOUT.toNanos();
      int waits = 0;
      List<String> open = openConnections();
      int atPause = open.size();
      while (!open.isEmpty() && System.nanoTime() < deadline) {
        command("cont", Map.of(), "pause");
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        command("stop", Map.of(), "pause");
        waits++;
        open = openConnections();
      }
      if (waits > 0) {
        log.info(
            "quiesce {}: {} guest connection(s) open at pause; {} after {} waits ({} ms): {}",
            id,
            atPause,
            open.isEmpty() ? "all closed" : "still open",
            waits,
            (System.nanoTime() - t0) / 1_000_000,
            open);
      }
    }
    state = VmState.PAUSED;
  }

  /** The guest's TCP connections that its side still holds ({@link GuestConnections#guestHeld}). */
  List<String> openConnections() {
    return GuestConnections.guestHeld(usernet());
  }

  /** QEMU's {@code info usernet}: the user-mode network's sockets and their TCP states. */
  String usernet() {
    try {
      return connections.table();
    } catch (IOException e) {
      throw new VmmException(
          "cannot list the connections of " + id + ": " + e.getMessage(),
          vmmOutput(),
          consoleTail(),
          e);
    }
  }

  private void syncDisk() {
    GuestProbe.Result r =
        GuestProbe.await(
            control, () -> "/_thaw/sync", controlKey, QUIESCE_TIMEOUT, process::isAlive);
    if (r.outcome() != GuestProbe.Outcome.READY) {
      throw new VmmException(
          "cannot sync the disk of "
              + id
              + " before pausing it: "
              + (r.status() == 0 ? r.outcome() : "HTTP " + r.status() + " " + r.body().strip()),
          vmmOutput(),
          consoleTail(),
          null);
    }
  }

  @Override
  public synchronized void resume() {
    state.checkTransition(VmState.RUNNING, "resume");
    command("cont", Map.of(), "resume");
    state = VmState.RUNNING;
  }

  /**
   * Writes the device state into {@code dir} and ends the VM, whose memory file and (a function
   * from an image) layer become the snapshot's: {@code state}, {@code memory}, {@code disk}.
   */
  @Override
  public synchronized VmSnapshot snapshot(Path dir) {
    state.checkTransition(VmState.SNAPSHOTTED, "snapshot");
    if (!ownsMemory) {
      throw new SnapshotException(
          "only a booted VM can be snapshotted: a restored clone maps its memory privately",
          "",
          "",
          null);
    }
    Path stateFile = dir.resolve("state");
    Path memoryFile = dir.resolve("memory");
    Path diskFile = function.fromImage() ? dir.resolve("disk") : null;
    try {
      migration.save(stateFile);
      state = VmState.SNAPSHOTTED;
      // Never resume: guest writes would land in the memory file the clones will map.
      process.qmp().execute("quit", Map.of());
      process.awaitExit(Duration.ofSeconds(5));
      Files.move(workDir.resolve("memory"), memoryFile, StandardCopyOption.REPLACE_EXISTING);
      if (function.fromImage()) {
        // QEMU has closed the layer (its caches written) as it quit: the file is complete.
        Files.move(
            workDir.resolve(QemuCommandLine.LAYER), diskFile, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      SnapshotException failure =
          new SnapshotException(
              "cannot snapshot " + id + ": " + e.getMessage(), vmmOutput(), consoleTail(), e);
      close();
      throw failure;
    }
    close();
    return new VmSnapshot(function, identity, memoryFile, stateFile, diskFile, controlKey);
  }

  /** Loads device state into a VM started with {@code -incoming defer}. */
  synchronized void loadState(Path stateFile) throws IOException {
    long t0 = System.nanoTime();
    migration.load(stateFile, workDir.resolve("mig"));
    log.debug("{}: state loaded in {} µs", id, (System.nanoTime() - t0) / 1000);
  }

  /**
   * Waits for the guest to answer {@code GET target} (asked anew for each attempt); on failure
   * stops the VM and throws the typed error ({@link GuestReadiness}).
   */
  void awaitGuest(Duration timeout, GuestReadiness.After after, Supplier<String> target) {
    Optional<VmmException> failure = new GuestReadiness(this).await(timeout, after, target);
    if (failure.isPresent()) {
      close();
      throw failure.get();
    }
  }

  /**
   * Waits for a restored guest to answer {@code GET target} as {@code wait} says; on failure stops
   * the VM and throws the typed error ({@link GuestReadiness#awaitRestore}).
   */
  void awaitRestored(RestoreWait wait, Supplier<String> target) {
    Optional<VmmException> failure = new GuestReadiness(this).awaitRestore(wait, target);
    if (failure.isPresent()) {
      close();
      throw failure.get();
    }
  }

  /** Counts from now the time this VM's QEMU threads wait for a CPU. */
  CpuWaits cpuWaits() {
    return CpuWaits.of(process.pid());
  }

  /** QEMU's answer to the QMP query {@code command}, for diagnosis and tests. */
  JsonNode query(String command) throws IOException {
    return process.qmp().execute(command, Map.of());
  }

  /** What QMP says of the VM when its guest does not answer ({@link QmpDiagnosis}). */
  String diagnose() {
    return QmpDiagnosis.of(process.qmp());
  }

  private void command(String name, Map<String, ?> args, String operation) {
    try {
      process.qmp().execute(name, args);
    } catch (IOException e) {
      throw new VmmException(
          "cannot " + operation + " " + id + ": " + e.getMessage(), vmmOutput(), consoleTail(), e);
    }
  }

  String vmmOutput() {
    return process.output();
  }

  @Override
  public String consoleTail() {
    return console.tail(CONSOLE_TAIL_LINES);
  }

  @Override
  public synchronized void close() {
    process.close();
    channels.close();
    state = VmState.STOPPED;
    FileTrees.deleteQuietly(workDir);
  }

  @Override
  public String toString() {
    return "MicroVm[" + id + ", " + function.id() + ", " + state + ", " + endpoint + "]";
  }
}
