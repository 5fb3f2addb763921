package dev.thaw.node.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.core.function.Revision;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PrefetchPlanTest {
  private static final long MINUTE = 60_000;
  private static final Revision F = Revision.of("f");
  private static final PrefetchPlan.Here NEEDED = new PrefetchPlan.Here(true, false, false);

  private final PrefetchPlan plan = new PrefetchPlan(Duration.ofMinutes(1));
  private long now = 1_000_000;

  /**
   * Arrivals of {@code f} every {@code gapMs}, {@code count} of them; the last one's prediction.
   */
  private Optional<PrefetchPlan.Due> arrivals(int count, long gapMs, long leadMs) {
    Optional<PrefetchPlan.Due> due = Optional.empty();
    for (int i = 0; i < count; i++) {
      now += gapMs;
      due = plan.arrived(F, now, leadMs);
    }
    return due;
  }

  @Test
  void predictsNothingUntilFiveGapsWereSeen() {
    assertThat(arrivals(5, 10 * MINUTE + 5_000, 2_000)).isEmpty(); // 4 gaps
    PrefetchPlan.Due due = arrivals(1, 10 * MINUTE + 5_000, 2_000).orElseThrow();
    // The head of 10-minute gaps, less the fetch's lead, after the arrival.
    assertThat(due.atMillis()).isEqualTo(now + 10 * MINUTE - 2_000);
    // The next most likely comes by the end of the 10th minute: entries used since stay.
    assertThat(due.evictIdle()).isEqualTo(Duration.ofMillis(MINUTE + 2_000));
  }

  @Test
  void aDuePredictionFetchesWithRoomMadeOnlyOfEntriesIdleUntilTheArrivalIsLikely() {
    arrivals(4, 5 * MINUTE + 1_000, 500); // 3 gaps of 5 minutes
    // 7 gaps of 7: the head is 5 minutes, the median 7; the next has most likely come by 8.
    PrefetchPlan.Due due = arrivals(7, 7 * MINUTE + 1_000, 500).orElseThrow();
    assertThat(due.atMillis()).isEqualTo(now + 5 * MINUTE - 500);
    // Entries used within the 3 minutes and a half from the fetch to then stay.
    assertThat(plan.fire(due, NEEDED))
        .isEqualTo(new PrefetchPlan.Fetch(F, Duration.ofMillis(3 * MINUTE + 500)));
  }

  @Test
  void aLaterArrivalSupersedesThePendingPrediction() {
    PrefetchPlan.Due first = arrivals(8, 5 * MINUTE, 0).orElseThrow();
    PrefetchPlan.Due second = arrivals(1, 5 * MINUTE, 0).orElseThrow();
    assertThat(plan.fire(first, NEEDED)).isInstanceOf(PrefetchPlan.Skip.class);
    assertThat(plan.fire(second, NEEDED)).isInstanceOf(PrefetchPlan.Fetch.class);
  }

  @Test
  void noFetchWhenAnInstanceIsIdleTheCacheHoldsItOrItWasUndeployed() {
    PrefetchPlan.Due due = arrivals(8, 5 * MINUTE, 0).orElseThrow();
    assertThat(plan.fire(due, new PrefetchPlan.Here(true, true, false)))
        .isEqualTo(new PrefetchPlan.Skip("an instance is idle"));
    assertThat(plan.fire(due, new PrefetchPlan.Here(true, false, true)))
        .isEqualTo(new PrefetchPlan.Skip("cached"));
    assertThat(plan.fire(due, new PrefetchPlan.Here(false, false, false)))
        .isEqualTo(new PrefetchPlan.Skip("not deployed"));
    plan.forget(F);
    assertThat(plan.fire(due, NEEDED)).isInstanceOf(PrefetchPlan.Skip.class);
  }

  @Test
  void aBusyFunctionIsNeverPrefetched() {
    // Gaps within the first minute: a warm instance or a cached snapshot is there anyway.
    assertThat(arrivals(200, 20_000, 0)).isEmpty();
  }

  @Test
  void aShorterMinuteFollowsASpedUpReplay() {
    PrefetchPlan fast = new PrefetchPlan(Duration.ofSeconds(10));
    Optional<PrefetchPlan.Due> due = Optional.empty();
    for (int i = 0; i < 7; i++) {
      now += 31_000; // 3.1 trace minutes at 6x
      due = fast.arrived(F, now, 1_000);
    }
    assertThat(due.orElseThrow().atMillis()).isEqualTo(now + 30_000 - 1_000);
  }

  @Test
  void theLeadNeverMovesAFetchBeforeTheArrival() {
    PrefetchPlan.Due due = arrivals(8, 2 * MINUTE, 5 * MINUTE).orElseThrow();
    assertThat(due.atMillis()).isEqualTo(now);
  }
}
