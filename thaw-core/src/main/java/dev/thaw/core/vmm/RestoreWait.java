package dev.thaw.core.vmm;

import java.time.Duration;
import java.util.Objects;

/**
 * How long a restored guest is waited for: {@code running} of time in which its VMM could run, and
 * at most {@code patience} of wall-clock time. Time the VMM's threads spent runnable but waiting
 * for a CPU (other processes had the cores) does not count against {@code running}, so a starved
 * machine stretches the wait, up to {@code patience}, instead of making a sound snapshot look dead.
 *
 * @param running how long the guest may take to answer, counting only time its VMM could run
 * @param patience the most wall-clock time the wait may take, however starved the VMM was
 */
public record RestoreWait(Duration running, Duration patience) {
  public RestoreWait {
    Objects.requireNonNull(running, "running");
    Objects.requireNonNull(patience, "patience");
    if (running.isNegative() || running.isZero()) {
      throw new IllegalArgumentException("running must be positive: " + running);
    }
    if (patience.compareTo(running) < 0) {
      throw new IllegalArgumentException("patience " + patience + " below running " + running);
    }
  }

  /** A plain wall-clock wait of {@code timeout}: starvation does not stretch it. */
  public static RestoreWait of(Duration timeout) {
    return new RestoreWait(timeout, timeout);
  }

  /** Whether a wait that has taken {@code waited} so far is over. */
  public boolean over(GuestWait waited) {
    return waited.wall().compareTo(patience) >= 0 || waited.running().compareTo(running) >= 0;
  }

  /**
   * When, from the start of a wait that has taken {@code waited} so far, it is over at the
   * earliest: the time held off a CPU so far added to {@code running}, within {@code patience}.
   */
  public Duration end(GuestWait waited) {
    Duration stretched = running.plus(waited.heldOff());
    return stretched.compareTo(patience) > 0 ? patience : stretched;
  }
}
