package dev.thaw.core.vmm;

import java.time.Duration;
import java.util.Objects;

/**
 * What a wait for a guest to answer consisted of.
 *
 * @param wall how long the wait took
 * @param heldOff how much of it the VMM was held off a CPU: the longest time any of its threads
 *     spent runnable but waiting for one (zero where the VMM cannot tell)
 */
public record GuestWait(Duration wall, Duration heldOff) {
  public GuestWait {
    Objects.requireNonNull(wall, "wall");
    Objects.requireNonNull(heldOff, "heldOff");
    if (wall.isNegative() || heldOff.isNegative()) {
      throw new IllegalArgumentException("negative wait: " + wall + ", held off " + heldOff);
    }
    if (heldOff.compareTo(wall) > 0) {
      heldOff = wall; // per-thread accounting can run a tick ahead of the wall clock
    }
  }

  /** A wait of {@code wall} the VMM could run through. */
  public static GuestWait unstarved(Duration wall) {
    return new GuestWait(wall, Duration.ZERO);
  }

  /** The time the VMM could run: the wall time less the time it was held off a CPU. */
  public Duration running() {
    return wall.minus(heldOff);
  }

  @Override
  public String toString() {
    return wall.toMillis() + " ms (" + heldOff.toMillis() + " ms of it waiting for a CPU)";
  }
}
