package dev.thaw.node.agent;

import dev.thaw.core.function.Revision;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.HashSet;
import java.util.Set;

/**
 * What came of this node's prefetches: made (a snapshot fetched ahead into the cache), used (a cold
 * start served from a prefetched entry before anything else used it) and wasted (a prefetched entry
 * evicted unused). Meters {@code thaw.snapshot.prefetches{outcome=made|used|wasted}}.
 */
final class PrefetchTally {
  private final Counter made;
  private final Counter used;
  private final Counter wasted;
  private final Set<Revision> unused = new HashSet<>();

  PrefetchTally(MeterRegistry meters) {
    made = counter(meters, "made");
    used = counter(meters, "used");
    wasted = counter(meters, "wasted");
  }

  private static Counter counter(MeterRegistry meters, String outcome) {
    return Counter.builder("thaw.snapshot.prefetches")
        .description("snapshots fetched ahead of a predicted cold start, by outcome")
        .tag("outcome", outcome)
        .register(meters);
  }

  synchronized void made(Revision revision) {
    made.increment();
    unused.add(revision);
  }

  /** A cold start of {@code revision} restored a snapshot (it is no longer unused). */
  synchronized void restored(Revision revision) {
    if (unused.remove(revision)) {
      used.increment();
    }
  }

  /** The cache evicted {@code revision}'s entry. */
  synchronized void evicted(Revision revision) {
    if (unused.remove(revision)) {
      wasted.increment();
    }
  }

  /** {@code revision} was undeployed: its entry is neither used nor wasted. */
  synchronized void forget(Revision revision) {
    unused.remove(revision);
  }

  PrefetchCounts counts() {
    return new PrefetchCounts((long) made.count(), (long) used.count(), (long) wasted.count());
  }
}
