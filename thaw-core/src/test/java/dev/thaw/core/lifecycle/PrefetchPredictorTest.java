package dev.thaw.core.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PrefetchPredictorTest {
  private static final long MINUTE = 60_000;

  @Test
  void predictsTheHeadOfRegularGapsLessTheLead() {
    PrefetchPredictor p = new PrefetchPredictor();
    for (int i = 0; i < 10; i++) {
      p.observeGap(15 * MINUTE + 20_000);
    }
    assertThat(p.prefetchAfterMillis(2_000)).isEqualTo(15 * MINUTE - 2_000);
  }

  @Test
  void theHeadIsThe5thPercentile() {
    PrefetchPredictor p = new PrefetchPredictor();
    p.observeGap(2 * MINUTE);
    for (int i = 0; i < 39; i++) {
      p.observeGap(20 * MINUTE);
    }
    // 1 of 40 gaps (2.5%) is below the 5th percentile's rank: the head is 20 minutes.
    assertThat(p.prefetchAfterMillis(0)).isEqualTo(20 * MINUTE);
    p.observeGap(2 * MINUTE);
    p.observeGap(2 * MINUTE);
    // 3 of 42 (7%): the head moves down to 2 minutes.
    assertThat(p.prefetchAfterMillis(0)).isEqualTo(2 * MINUTE);
    // Most still come in the 20th minute: by its end the next has most likely arrived.
    assertThat(p.likelyByMillis()).isEqualTo(21 * MINUTE);
  }

  @Test
  void noPredictionWithFewGapsBusyFunctionsOrGapsBeyondTheRange() {
    PrefetchPredictor few = new PrefetchPredictor();
    for (int i = 0; i < 4; i++) {
      few.observeGap(10 * MINUTE);
    }
    assertThat(few.prefetchAfterMillis(0)).isEqualTo(-1);

    PrefetchPredictor busy = new PrefetchPredictor();
    for (int i = 0; i < 100; i++) {
      busy.observeGap(500);
    }
    assertThat(busy.prefetchAfterMillis(0)).isEqualTo(-1);

    PrefetchPredictor rare = new PrefetchPredictor();
    for (int i = 0; i < 10; i++) {
      rare.observeGap(300 * MINUTE);
    }
    assertThat(rare.prefetchAfterMillis(0)).isEqualTo(-1);
  }

  @Test
  void aShorterMinutePredictsInItsOwnUnits() {
    // A trace replayed 6 times faster: its 15-minute gaps last 150 s of real time.
    PrefetchPredictor p = new PrefetchPredictor(10_000);
    for (int i = 0; i < 10; i++) {
      p.observeGap(150_000 + 3_000);
    }
    assertThat(p.headMillis()).isEqualTo(150_000);
    assertThat(p.likelyByMillis()).isEqualTo(160_000);
    assertThat(p.prefetchAfterMillis(2_000)).isEqualTo(148_000);

    // Gaps shorter than one of its minutes: too busy for a prefetch, as with real minutes.
    PrefetchPredictor busy = new PrefetchPredictor(10_000);
    for (int i = 0; i < 10; i++) {
      busy.observeGap(9_000);
    }
    assertThat(busy.headMillis()).isEqualTo(-1);
  }
}
