package dev.thaw.core.snapshot;

import dev.thaw.core.vmm.GuestWait;
import dev.thaw.core.vmm.RestoreWait;
import java.util.Objects;
import java.util.Optional;

/**
 * What a restored clone that did not answer in time says of its snapshot. A clone that could run
 * for the whole of its restore deadline and did not answer has a <em>broken</em> snapshot (a guest
 * resumed on a connection no clone's network knows, halted in its idle loop, is the case seen): it
 * is condemned as dead. A clone held off the CPU for so long that the wait's patience ran out
 * before it could run for its deadline says only that the machine was <em>too slow</em> (other VMs
 * and builds had the cores): its snapshot is kept, and the next cold start tries it again.
 *
 * <p>A wait the VMM did not measure ({@code waited} empty) is judged by the wall clock alone, as a
 * clone that could run throughout: broken.
 */
public sealed interface RestoreVerdict {
  /** Why, in words for the cold start's fallback line. */
  String reason();

  /** The snapshot is broken: its clone ran for its deadline and did not answer. */
  record Broken(String reason) implements RestoreVerdict {
    public Broken {
      Objects.requireNonNull(reason, "reason");
    }
  }

  /** The machine was too slow: the clone was starved of CPU before its deadline ran out. */
  record TooSlow(String reason) implements RestoreVerdict {
    public TooSlow {
      Objects.requireNonNull(reason, "reason");
    }
  }

  /** The verdict on a clone given {@code given} that did not answer after {@code waited}. */
  static RestoreVerdict of(RestoreWait given, Optional<GuestWait> waited) {
    long deadline = given.running().toMillis();
    if (waited.isEmpty()) {
      return new Broken("its clone did not answer within " + deadline + " ms");
    }
    GuestWait w = waited.get();
    if (w.running().compareTo(given.running()) >= 0) {
      return new Broken(
          "its clone did not answer within " + deadline + " ms of running (" + w + " waited)");
    }
    return new TooSlow(
        "its clone could run only "
            + w.running().toMillis()
            + " ms of its "
            + deadline
            + " ms before the wait's "
            + given.patience().toMillis()
            + " ms ran out ("
            + w.heldOff().toMillis()
            + " ms waiting for a CPU): the machine was too slow, not the snapshot");
  }
}
