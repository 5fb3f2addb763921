package dev.thaw.qemu;

import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.io.FileTrees;
import dev.thaw.core.vmm.BootException;
import dev.thaw.core.vmm.GuestTimeoutException;
import dev.thaw.core.vmm.MicroVm;
import dev.thaw.core.vmm.RestoreException;
import dev.thaw.core.vmm.RestoreIncompatibleException;
import dev.thaw.core.vmm.SnapshotException;
import dev.thaw.core.vmm.VmSnapshot;
import dev.thaw.core.vmm.VmState;
import dev.thaw.core.vmm.VmmException;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/** One QEMU microvm under QMP control. Thread-safe: lifecycle operations are serialized. */
final class QemuMicroVm implements MicroVm {
  private static final Duration MIGRATION_TIMEOUT = Duration.ofSeconds(60);
  private static final int CONSOLE_TAIL_LINES = 20;
  private static final Duration QUIESCE_TIMEOUT = Duration.ofSeconds(2);
  private static final Pattern GUEST_HOLDS =
      Pattern.compile("TCP\\[(SYN_RCVD|ESTABLISHED|FIN_WAIT_1|FIN_WAIT_2|CLOSING)\\]");

  /** What the guest's function server prints on the console once it listens (and its port). */
  static final String READY_LINE = "ready on :";

  /** What the guest prints once it has started the program of a function from an image. */
  static final String STARTED_LINE = "waiting for port";

  /** What the guest prints when a function from an image ends before its port opens. */
  static final String EXITED_LINE = "function exited";

  private static final Logger log = LoggerFactory.getLogger(QemuMicroVm.class);

  private final String id;
  private final QemuVmm vmm;
  private final QemuProcess process;
  private final FunctionSpec function;
  private final URI endpoint;
  private final URI control;
  private final Path workDir;
  private final boolean ownsMemory;
  private volatile VmState state;
  private final VmChannels channels;

  /** What the guest asks of control requests (X-Thaw-Key): this host only knows it. */
  private volatile String controlKey = "";

  QemuMicroVm(
      String id,
      QemuVmm vmm,
      QemuProcess process,
      FunctionSpec function,
      int controlPort,
      int functionPort,
      Path workDir,
      boolean ownsMemory,
      VmState initial,
      VmChannels channels) {
    this.id = id;
    this.vmm = vmm;
    this.process = process;
    this.function = function;
    this.control = URI.create("http://127.0.0.1:" + controlPort);
    this.endpoint = URI.create("http://127.0.0.1:" + functionPort);
    this.workDir = workDir;
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

  /** The key the guest asks of control requests; "" for none. */
  String controlKey() {
    return controlKey;
  }

  void controlKey(String key) {
    this.controlKey = key;
  }

  /** Where the guest's control server answers ({@code /health}, {@code /_thaw/...}). */
  URI control() {
    return control;
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
        sleepMicros(5_000);
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

  /**
   * The guest's TCP connections in QEMU's user-mode network that its side still holds, as {@code
   * info usernet} lists them: established, closed by the host but not yet by the guest, or opened
   * by the guest. Listeners, connections the guest has closed, and connection attempts it never
   * answered ({@code SYN_SENT}: lost with the snapshot, unseen by the guest) do not count.
   */
  List<String> openConnections() {
    return guestHeld(usernet());
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

  /** QEMU's {@code info usernet}: the user-mode network's sockets and their TCP states. */
  String usernet() {
    try {
      return process
          .qmp()
          .execute("human-monitor-command", Map.of("command-line", "info usernet"))
          .asString("");
    } catch (IOException e) {
      throw new VmmException(
          "cannot list the connections of " + id + ": " + e.getMessage(),
          vmmOutput(),
          consoleTail(),
          e);
    }
  }

  /** The lines of an {@code info usernet} table whose connection the guest still holds. */
  static List<String> guestHeld(String table) {
    return table
        .lines()
        .map(String::strip)
        .filter(l -> GUEST_HOLDS.matcher(l).lookingAt())
        .toList();
  }

  @Override
  public synchronized void resume() {
    state.checkTransition(VmState.RUNNING, "resume");
    command("cont", Map.of(), "resume");
    state = VmState.RUNNING;
  }

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
      process.qmp().execute("migrate-set-capabilities", QemuVmm.ignoreShared());
      process.qmp().execute("migrate", Map.of("uri", "exec:cat > " + shellQuote(stateFile)));
      awaitMigration();
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
    return new VmSnapshot(function, vmm.identity(), memoryFile, stateFile, diskFile, controlKey);
  }

  /** Loads device state into a VM started with {@code -incoming defer}. */
  synchronized void loadState(Path stateFile) throws IOException {
    long t0 = System.nanoTime();
    process.qmp().execute("migrate-set-capabilities", QemuVmm.ignoreShared());
    process.qmp().execute("migrate-incoming", Map.of("uri", "exec:cat " + shellQuote(stateFile)));
    awaitMigration();
    log.debug("{}: state loaded in {} µs", id, (System.nanoTime() - t0) / 1000);
  }

  private void awaitMigration() throws IOException {
    long deadline = System.nanoTime() + MIGRATION_TIMEOUT.toNanos();
    long pauseMicros = 200;
    while (System.nanoTime() < deadline) {
      JsonNode info = process.qmp().execute("query-migrate", Map.of());
      String status = info.path("status").asString("");
      if (status.equals("completed")) {
        return;
      }
      if (status.equals("failed") || status.equals("cancelled")) {
        throw new IOException("migration " + status + ": " + info.path("error-desc").asString(""));
      }
      sleepMicros(pauseMicros);
      pauseMicros = Math.min(pauseMicros * 2, 20_000);
    }
    throw new IOException("migration did not complete within " + MIGRATION_TIMEOUT);
  }

  /**
   * Waits for the guest to answer {@code GET target} (asked anew for each attempt); on failure
   * stops the VM and throws the typed error.
   *
   * <p>A booting guest is not sent a request before its console says its server listens. Each
   * connection to the forwarded port before then stays in QEMU's user-mode network as an attempt it
   * keeps retrying (for up to 75 s), and one that the guest accepts just before a snapshot is an
   * open connection in every clone, to a peer no clone's network knows: the guest's server waits on
   * it and answers nobody (a dead snapshot).
   *
   * <p>A guest that answers but not with 200 is refused at once: after a restore, a 404 means its
   * server predates {@code /_thaw/resume} (a snapshot of an older guest image, which cannot be
   * given fresh entropy: incompatible); any other status, that the guest could not resume (its
   * answer says why).
   */
  void awaitGuest(Duration timeout, String operation, Supplier<String> target) {
    long deadline = System.nanoTime() + timeout.toNanos();
    if (operation.equals("boot")) {
      String said = awaitConsole(READY_LINE + QemuCommandLine.controlPort(function), deadline);
      if (said.contains(EXITED_LINE)) {
        String out = vmmOutput();
        String console = consoleTail();
        close();
        throw new BootException(
            "the function "
                + function.id()
                + " ("
                + id
                + ") ended before opening its port "
                + function.image().port()
                + ": "
                + said,
            out,
            console,
            null);
      }
      // Only once the guest has started the program is the port what is missing; before that,
      // the guest itself did not come up, which the general timeout below reports.
      if (function.fromImage()
          && System.nanoTime() >= deadline
          && process.isAlive()
          && QemuVmm.readQuietly(workDir.resolve("console.log")).contains(STARTED_LINE)) {
        String out = (vmmOutput() + "\n" + diagnose()).strip();
        String console = consoleTail();
        close();
        throw new GuestTimeoutException(
            "the function "
                + function.id()
                + " ("
                + id
                + ") did not open its port "
                + function.image().port()
                + " within "
                + timeout
                + " after boot",
            out,
            console,
            null);
      }
    }
    Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
    GuestProbe.Result result =
        GuestProbe.await(control, target, controlKey, left, process::isAlive);
    if (result.outcome() == GuestProbe.Outcome.READY) {
      log.debug("{} {}: the guest answered {}", operation, id, result.body().strip());
      return;
    }
    String out = vmmOutput();
    String console = consoleTail();
    String what = function.id() + " (" + id + ")";
    if (result.outcome() == GuestProbe.Outcome.TIMED_OUT) {
      String state = diagnose();
      close();
      throw new GuestTimeoutException(
          "guest of " + what + " did not answer within " + timeout + " after " + operation,
          (out + "\n" + state).strip(),
          console,
          null);
    }
    close();
    if (result.outcome() == GuestProbe.Outcome.REFUSED) {
      String said = "HTTP " + result.status() + " " + result.body().strip();
      if (operation.equals("boot")) {
        throw new BootException(
            "guest of " + what + " answered its readiness probe with " + said, out, console, null);
      }
      if (result.status() == 404) {
        throw new RestoreIncompatibleException(
            "guest of "
                + what
                + " cannot be reseeded at resume (its server does not know /_thaw/resume: a"
                + " snapshot of an older guest image); its clones would share their random state",
            out,
            console,
            null);
      }
      throw new RestoreException(
          "guest of " + what + " could not resume: " + said, out, console, null);
    }
    String message = "QEMU exited during " + operation + " of " + what;
    VmmException failure =
        operation.equals("boot")
            ? new BootException(message, out, console, null)
            : new RestoreException(message, out, console, null);
    throw failure;
  }

  /**
   * Polls the console log until it holds {@code line} or {@link #EXITED_LINE}, the VMM exits, or
   * the deadline passes. Returns the console line that ended the wait, or "" if none did.
   */
  private String awaitConsole(String line, long deadline) {
    Path console = workDir.resolve("console.log");
    while (System.nanoTime() < deadline && process.isAlive()) {
      String text = QemuVmm.readQuietly(console);
      for (String l : text.lines().toList()) {
        if (l.contains(EXITED_LINE) || l.contains(line)) {
          return l.strip();
        }
      }
      sleepMicros(20_000);
    }
    return "";
  }

  /**
   * What QMP says of a guest that does not answer: run state, the vCPU's registers (where it sits),
   * its local APIC, and the rings of each virtio device (a ring the device waits on while the guest
   * thinks it has nothing to do is a lost notification). Best effort: each part that fails says so.
   */
  private String diagnose() {
    StringBuilder s = new StringBuilder("QMP state at the deadline:");
    ask(s, "query-status", Map.of());
    hmp(s, "info registers");
    hmp(s, "info lapic");
    hmp(s, "info pic");
    try {
      for (JsonNode device : process.qmp().execute("x-query-virtio", Map.of())) {
        String path = device.path("path").asString("");
        ask(s, "x-query-virtio-status", Map.of("path", path));
        for (int queue = 0; queue < 2; queue++) {
          ask(s, "x-query-virtio-queue-status", Map.of("path", path, "queue", queue));
        }
      }
    } catch (IOException | RuntimeException e) {
      s.append("\n  x-query-virtio: ").append(e.getMessage());
    }
    return s.toString();
  }

  private void ask(StringBuilder s, String command, Map<String, ?> args) {
    s.append("\n  ").append(command).append(args.isEmpty() ? "" : " " + args).append(": ");
    try {
      s.append(process.qmp().execute(command, args));
    } catch (IOException | RuntimeException e) {
      s.append("failed: ").append(e.getMessage());
    }
  }

  private void hmp(StringBuilder s, String command) {
    s.append("\n  ").append(command).append(":\n    ");
    try {
      String text =
          process
              .qmp()
              .execute("human-monitor-command", Map.of("command-line", command))
              .asString("");
      s.append(text.strip().replace("\n", "\n    "));
    } catch (IOException | RuntimeException e) {
      s.append("failed: ").append(e.getMessage());
    }
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
    String all = QemuVmm.readQuietly(workDir.resolve("console.log"));
    List<String> lines = all.lines().toList();
    return String.join(
        "\n", lines.subList(Math.max(0, lines.size() - CONSOLE_TAIL_LINES), lines.size()));
  }

  @Override
  public synchronized void close() {
    process.close();
    channels.close();
    state = VmState.STOPPED;
    FileTrees.deleteQuietly(workDir);
  }

  private static String shellQuote(Path p) {
    String s = p.toAbsolutePath().toString();
    if (s.contains("'")) {
      throw new IllegalArgumentException("paths with quotes are not supported: " + s);
    }
    return "'" + s + "'";
  }

  private static void sleepMicros(long micros) {
    try {
      Thread.sleep(micros / 1000, (int) (micros % 1000) * 1000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "MicroVm[" + id + ", " + function.id() + ", " + state + ", " + endpoint + "]";
  }
}
