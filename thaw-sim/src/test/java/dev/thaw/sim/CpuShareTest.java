package dev.thaw.sim;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Processor sharing worked out by hand. */
class CpuShareTest {
  private final int[] out = new int[8];

  @Test
  void upToTheCoresEachStartTakesItsOwnTime() {
    CpuShare s = new CpuShare(1, 2);
    s.add(0, 7, 1000, 0);
    s.add(0, 8, 3000, 0);
    assertThat(s.nextFinish(0)).isEqualTo(1000);
    assertThat(s.finish(0, 1000, out)).isEqualTo(1);
    assertThat(out[0]).isEqualTo(7);
    assertThat(s.nextFinish(0)).isEqualTo(3000);
    assertThat(s.finish(0, 3000, out)).isEqualTo(1);
    assertThat(out[0]).isEqualTo(8);
    assertThat(s.nextFinish(0)).isEqualTo(-1);
  }

  @Test
  void fourStartsOnTwoCoresTakeTwiceAsLong() {
    CpuShare s = new CpuShare(1, 2);
    for (int j = 0; j < 4; j++) {
      s.add(0, j, 8000, 0);
    }
    assertThat(s.running(0)).isEqualTo(4);
    assertThat(s.nextFinish(0)).isEqualTo(16_000);
    assertThat(s.finish(0, 15_999, out)).isZero();
    assertThat(s.finish(0, 16_000, out)).isEqualTo(4);
    assertThat(s.running(0)).isZero();
  }

  @Test
  void aStartArrivingLaterSlowsTheOneInProgressFromThen() {
    // One core. A (8 s) alone for 4 s: 4 s left. B (8 s) joins at 4 s: both at half pace, A is
    // done at 12 s; B got 4 s of work by then and finishes its other 4 s alone, at 16 s.
    CpuShare s = new CpuShare(1, 1);
    s.add(0, 1, 8000, 0);
    assertThat(s.nextFinish(0)).isEqualTo(8000);
    int stale = s.generation(0);
    s.add(0, 2, 8000, 4000);
    assertThat(s.nextFinish(0)).isEqualTo(12_000);
    assertThat(s.generation(0)).isNotEqualTo(stale);
    assertThat(s.finish(0, 12_000, out)).isEqualTo(1);
    assertThat(out[0]).isEqualTo(1);
    assertThat(s.nextFinish(0)).isEqualTo(16_000);
  }

  @Test
  void hostsShareOnlyTheirOwnCores() {
    CpuShare s = new CpuShare(2, 1);
    s.add(0, 1, 1000, 0);
    s.add(1, 2, 1000, 0);
    assertThat(s.nextFinish(0)).isEqualTo(1000);
    assertThat(s.nextFinish(1)).isEqualTo(1000);
  }
}
