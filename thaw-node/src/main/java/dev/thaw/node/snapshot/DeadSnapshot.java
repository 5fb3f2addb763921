package dev.thaw.node.snapshot;

import dev.thaw.core.vmm.GuestTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * A snapshot whose clone never answered: its guest was restored and resumed, but did not answer a
 * health request within the restore deadline, counted in time its VMM could run (a clone the
 * machine held off the CPU instead is no dead snapshot: {@link
 * dev.thaw.core.snapshot.RestoreVerdict}). Such a snapshot is never committed (found while
 * verifying it) or is dropped and marked unusable (found while restoring it).
 *
 * @param revision the snapshot's revision
 * @param createdAt when the snapshot was made (identifies it among snapshots of the revision)
 * @param phase when it was found
 * @param deadline how long its clone was given to run
 * @param failure the VMM's report: its output, the QMP state at the deadline, the console tail
 */
public record DeadSnapshot(
    String revision,
    Instant createdAt,
    Phase phase,
    Duration deadline,
    GuestTimeoutException failure) {

  /** When a dead snapshot was found. */
  public enum Phase {
    /** Its first clone, restored before the snapshot was committed, did not answer. */
    VERIFY,
    /** A cold start restored it from the cache or from remote storage. */
    RESTORE
  }

  public DeadSnapshot {
    Objects.requireNonNull(revision, "revision");
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(phase, "phase");
    Objects.requireNonNull(deadline, "deadline");
    Objects.requireNonNull(failure, "failure");
  }
}
