package dev.thaw.bench.soak;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SoakCycleTest {
  @Test
  void saysWhatTheCycleSawOnOneLine() {
    SoakCycle c = new SoakCycle("soak-hello-7", "hello", 1234.4, true, "local", 98.6, "");
    assertThat(c.progressLine(3, 200))
        .isEqualTo(
            "[  3/200] soak-hello-7           boot   1234 ms  snapshot verified restore local      99 ms");
  }

  @Test
  void namesARefusedSnapshotAndTheFallback() {
    SoakCycle c = new SoakCycle("soak-stateful-1", "stateful", 900, false, "none", 0, "corrupt");
    assertThat(c.progressLine(1, 2))
        .contains("snapshot refused ")
        .endsWith("restore none        0 ms  fallback: corrupt");
  }

  @Test
  void countsOnlyARestoreFromTheNodesCacheAsLocal() {
    assertThat(new SoakCycle("r", "hello", 1, true, "local", 1, "").restoredLocally()).isTrue();
    assertThat(new SoakCycle("r", "hello", 1, true, "remote", 1, "").restoredLocally()).isFalse();
    assertThat(new SoakCycle("r", "hello", 1, false, "-", 0, "").restoredLocally()).isFalse();
  }
}
