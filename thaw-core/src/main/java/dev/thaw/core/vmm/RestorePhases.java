package dev.thaw.core.vmm;

import java.time.Duration;
import java.util.Objects;

/**
 * Where one restore's time went, phase by phase, until the guest answered its first request, as a
 * VMM driver measures it (QEMU's names in parentheses):
 *
 * @param pooled whether its VMM process came from a pool of processes started ahead
 * @param start until the VMM was ready for the snapshot: a process exec'd up to its control
 *     connection (QMP), or a pooled one given the VM's network and memory file and its machine
 *     built; zero for a restore whose VMM was started while its snapshot was fetched
 * @param load the device state loaded ({@code migrate-incoming} until completed)
 * @param resume the vCPUs started ({@code cont})
 * @param answer until the guest answered its first request after {@code cont} (the reseed)
 * @param staged whether the VM had been made and its state loaded ahead, paused, for this snapshot
 *     (a staged restore: {@code start} is then the time to take it, {@code load} zero)
 */
public record RestorePhases(
    boolean pooled,
    Duration start,
    Duration load,
    Duration resume,
    Duration answer,
    boolean staged) {
  public RestorePhases {
    Objects.requireNonNull(start, "start");
    Objects.requireNonNull(load, "load");
    Objects.requireNonNull(resume, "resume");
    Objects.requireNonNull(answer, "answer");
  }

  /** The phases of a restore that was not staged ahead. */
  public RestorePhases(
      boolean pooled, Duration start, Duration load, Duration resume, Duration answer) {
    this(pooled, start, load, resume, answer, false);
  }

  /** The phases added up. */
  public Duration total() {
    return start.plus(load).plus(resume).plus(answer);
  }
}
