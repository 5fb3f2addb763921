package dev.thaw.node.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.core.function.Revision;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

class PrefetchTallyTest {
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final PrefetchTally tally = new PrefetchTally(meters);
  private final Revision a = Revision.of("a");
  private final Revision b = Revision.of("b");

  @Test
  void aPrefetchIsUsedOnceOrWastedOnceNeverBoth() {
    tally.made(a);
    tally.made(b);
    tally.restored(a);
    tally.restored(a); // a second cold start is the cache's hit, not the prefetch's
    tally.evicted(a); // used before it was evicted: not wasted
    tally.evicted(b);
    tally.restored(b); // restored after a later fetch: not this prefetch's
    assertThat(tally.counts()).isEqualTo(new PrefetchCounts(2, 1, 1));
    assertThat(meters.get("thaw.snapshot.prefetches").tag("outcome", "wasted").counter().count())
        .isEqualTo(1.0);
  }

  @Test
  void anUndeployedRevisionIsNeitherUsedNorWasted() {
    tally.made(a);
    tally.forget(a);
    tally.evicted(a);
    assertThat(tally.counts()).isEqualTo(new PrefetchCounts(1, 0, 0));
  }

  @Test
  void evictionsAndRestoresOfWhatWasNotPrefetchedCountNothing() {
    tally.evicted(a);
    tally.restored(b);
    assertThat(tally.counts()).isEqualTo(new PrefetchCounts(0, 0, 0));
  }
}
