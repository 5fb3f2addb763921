package dev.thaw.qemu;

import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.vmm.BootException;
import dev.thaw.core.vmm.GuestTimeoutException;
import dev.thaw.core.vmm.GuestWait;
import dev.thaw.core.vmm.RestoreException;
import dev.thaw.core.vmm.RestoreIncompatibleException;
import dev.thaw.core.vmm.RestoreWait;
import dev.thaw.core.vmm.VmmException;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether a started VM's guest came up: waits for its control server to answer the first request
 * after a boot or a restore and, when it does not, names the failure, with what the VMM and the
 * console said. It leaves the VM as it is; stopping a VM that failed is its owner's part.
 *
 * <p>A booting guest is not sent a request before its console says its server listens. Each
 * connection to the forwarded port before then stays in QEMU's user-mode network as an attempt it
 * keeps retrying (for up to 75 s), and one that the guest accepts just before a snapshot is an open
 * connection in every clone, to a peer no clone's network knows: the guest's server waits on it and
 * answers nobody (a dead snapshot).
 *
 * <p>A guest that answers but not with 200 is refused at once: after a restore, a 404 means its
 * server predates {@code /_thaw/resume} (a snapshot of an older guest image, which cannot be given
 * fresh entropy: incompatible); any other status, that the guest could not resume (its answer says
 * why).
 */
final class GuestReadiness {
  /** What the guest's function server prints on the console once it listens (and its port). */
  static final String READY_LINE = "ready on :";

  /** What the guest prints once it has started the program of a function from an image. */
  static final String STARTED_LINE = "waiting for port";

  /** What the guest prints when a function from an image ends before its port opens. */
  static final String EXITED_LINE = "function exited";

  private static final Logger log = LoggerFactory.getLogger(GuestReadiness.class);

  /** The shortest further wait a restored guest held off the CPU is given. */
  private static final Duration MIN_SLICE = Duration.ofMillis(250);

  /** What the guest is waited for after, which decides the failure's type. */
  enum After {
    BOOT,
    RESTORE;

    @Override
    public String toString() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private final QemuMicroVm vm;

  GuestReadiness(QemuMicroVm vm) {
    this.vm = vm;
  }

  /**
   * Waits up to {@code timeout} for the guest to answer {@code GET target} (asked anew for each
   * attempt) with its control key. Returns the failure when it did not: empty means the guest is
   * up.
   */
  Optional<VmmException> await(Duration timeout, After after, Supplier<String> target) {
    FunctionSpec function = vm.function();
    String what = function.id() + " (" + vm.id() + ")";
    long deadline = System.nanoTime() + timeout.toNanos();
    if (after == After.BOOT) {
      String said =
          vm.console()
              .await(
                  READY_LINE + QemuCommandLine.controlPort(function),
                  EXITED_LINE,
                  deadline,
                  vm::isAlive);
      if (said.contains(EXITED_LINE)) {
        return Optional.of(
            new BootException(
                "the function "
                    + what
                    + " ended before opening its port "
                    + function.image().port()
                    + ": "
                    + said,
                vm.vmmOutput(),
                vm.consoleTail(),
                null));
      }
      // Only once the guest has started the program is the port what is missing; before that,
      // the guest itself did not come up, which the general timeout below reports.
      if (function.fromImage()
          && System.nanoTime() >= deadline
          && vm.isAlive()
          && vm.console().text().contains(STARTED_LINE)) {
        String out = (vm.vmmOutput() + "\n" + vm.diagnose()).strip();
        return Optional.of(
            new GuestTimeoutException(
                "the function "
                    + what
                    + " did not open its port "
                    + function.image().port()
                    + " within "
                    + timeout
                    + " after boot",
                out,
                vm.consoleTail(),
                null));
      }
    }
    Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
    GuestProbe.Result result =
        GuestProbe.await(vm.control(), target, vm.controlKey(), left, vm::isAlive);
    if (result.outcome() == GuestProbe.Outcome.READY) {
      log.debug("{} {}: the guest answered {}", after, vm.id(), result.body().strip());
      return Optional.empty();
    }
    String out = vm.vmmOutput();
    String console = vm.consoleTail();
    return Optional.of(probeFailure(after, what, result, timeout, out, console, vm::diagnose));
  }

  /**
   * Waits for a restored guest to answer {@code GET target} (asked anew for each attempt) with its
   * control key, for {@code wait}'s running time: the time QEMU's threads spent waiting for a CPU
   * meanwhile is added to the wait, up to its patience. Returns the failure when it did not answer:
   * empty means the guest is up; a {@link GuestTimeoutException} carries what the wait consisted
   * of.
   */
  Optional<VmmException> awaitRestore(RestoreWait wait, Supplier<String> target) {
    String what = vm.function().id() + " (" + vm.id() + ")";
    long t0 = System.nanoTime();
    CpuWaits cpu = vm.cpuWaits();
    Duration end = wait.running();
    while (true) {
      Duration left = end.minus(Duration.ofNanos(System.nanoTime() - t0));
      GuestProbe.Result result =
          GuestProbe.await(
              vm.control(),
              target,
              vm.controlKey(),
              left.isNegative() ? Duration.ZERO : left,
              vm::isAlive);
      if (result.outcome() == GuestProbe.Outcome.READY) {
        log.debug("restore {}: the guest answered {}", vm.id(), result.body().strip());
        return Optional.empty();
      }
      GuestWait waited = new GuestWait(Duration.ofNanos(System.nanoTime() - t0), cpu.heldOff());
      if (result.outcome() == GuestProbe.Outcome.TIMED_OUT
          && !wait.over(waited)
          && !Thread.currentThread().isInterrupted()) {
        // Held off the CPU: the guest gets that time again, in slices long enough to answer in.
        Duration next = wait.end(waited);
        Duration slice = waited.wall().plus(MIN_SLICE);
        end = next.compareTo(slice) >= 0 || slice.compareTo(wait.patience()) > 0 ? next : slice;
        continue;
      }
      if (result.outcome() == GuestProbe.Outcome.TIMED_OUT) {
        log.debug("restore {}: no answer after {}", vm.id(), waited);
      }
      return Optional.of(
          probeFailure(
              After.RESTORE,
              what,
              result,
              wait.running(),
              vm.vmmOutput(),
              vm.consoleTail(),
              vm::diagnose,
              waited));
    }
  }

  /**
   * What a probe that did not end {@code READY} means for the VM {@code what}, given the VMM's
   * output {@code out} and the console's tail; {@code diagnosis} is asked only of a guest that did
   * not answer in time.
   */
  static VmmException probeFailure(
      After after,
      String what,
      GuestProbe.Result result,
      Duration timeout,
      String out,
      String console,
      Supplier<String> diagnosis) {
    return probeFailure(after, what, result, timeout, out, console, diagnosis, null);
  }

  /**
   * {@link #probeFailure}, a timeout carrying {@code waited}, what the wait consisted of (null:
   * unmeasured).
   */
  static VmmException probeFailure(
      After after,
      String what,
      GuestProbe.Result result,
      Duration timeout,
      String out,
      String console,
      Supplier<String> diagnosis,
      GuestWait waited) {
    String exited = "QEMU exited during " + after + " of " + what;
    return switch (result.outcome()) {
      case READY -> throw new IllegalArgumentException("the guest of " + what + " is ready");
      case TIMED_OUT ->
          new GuestTimeoutException(
              "guest of "
                  + what
                  + " did not answer within "
                  + timeout
                  + " after "
                  + after
                  + (waited == null ? "" : " (waited " + waited + ")"),
              (out + "\n" + diagnosis.get()).strip(),
              console,
              null,
              waited);
      case REFUSED -> refusal(after, what, result, out, console);
      case VMM_EXITED ->
          after == After.BOOT
              ? new BootException(exited, out, console, null)
              : new RestoreException(exited, out, console, null);
    };
  }

  /** A guest that answered, but not 200. */
  private static VmmException refusal(
      After after, String what, GuestProbe.Result result, String out, String console) {
    String said = "HTTP " + result.status() + " " + result.body().strip();
    if (after == After.BOOT) {
      return new BootException(
          "guest of " + what + " answered its readiness probe with " + said, out, console, null);
    }
    if (result.status() == 404) {
      return new RestoreIncompatibleException(
          "guest of "
              + what
              + " cannot be reseeded at resume (its server does not know /_thaw/resume: a"
              + " snapshot of an older guest image); its clones would share their random state",
          out,
          console,
          null);
    }
    return new RestoreException(
        "guest of " + what + " could not resume: " + said, out, console, null);
  }
}
