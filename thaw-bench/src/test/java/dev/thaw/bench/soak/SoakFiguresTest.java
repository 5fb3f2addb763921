package dev.thaw.bench.soak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.thaw.core.vmm.GuestTimeoutException;
import dev.thaw.node.snapshot.DeadSnapshot;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class SoakFiguresTest {
  static DeadSnapshot dead(String revision, DeadSnapshot.Phase phase) {
    return new DeadSnapshot(
        revision,
        Instant.parse("2026-12-07T00:00:00Z"),
        phase,
        Duration.ofMillis(1500),
        new GuestTimeoutException("no answer", "vmm said", "console tail", null));
  }

  private static SoakCycle restored(String revision, String source, double bootMs, double ms) {
    return new SoakCycle(revision, "hello", bootMs, true, source, ms, "");
  }

  private static final SoakFigures FIGURES =
      new SoakFigures(
          List.of(
              restored("soak-hello-0", "local", 1000, 100),
              restored("soak-hello-1", "local", 2000, 300),
              new SoakCycle("soak-hello-2", "hello", 3000, false, "-", 0, ""),
              restored("soak-hello-3", "none", 4000, 5000)),
          List.of(
              dead("soak-hello-2", DeadSnapshot.Phase.VERIFY),
              dead("soak-hello-3", DeadSnapshot.Phase.RESTORE)),
          12.4);

  @Test
  void countsTheVerifiedAndTheDeadByPhase() {
    assertThat(FIGURES.verified()).isEqualTo(3);
    assertThat(FIGURES.deadAtVerify()).isEqualTo(1);
    assertThat(FIGURES.deadAtRestore()).isEqualTo(1);
  }

  @Test
  void summarisesEveryBootButOnlyTheRestoresFromTheCache() {
    assertThat(FIGURES.bootMs().count()).isEqualTo(4);
    assertThat(FIGURES.restoreMs().orElseThrow().count()).isEqualTo(2);
    assertThat(FIGURES.restoreMs().orElseThrow().max()).isEqualTo(300);
  }

  @Test
  void reportsTheCountsInATableAndTheLatenciesBelow() {
    String nl = System.lineSeparator();
    assertThat(FIGURES.report())
        .startsWith(
            "4 cycles in 12 s"
                + nl
                + "snapshots                           count"
                + nl
                + "made and verified by a clone            3"
                + nl
                + "dead when verified (not committed)      1"
                + nl
                + "dead when restored from the cache       1"
                + nl
                + "boot + first answer:    median ")
        .contains("restore + first answer: median ")
        .contains(", max 300 ms" + nl)
        .endsWith("dead snapshots: 2 of 4" + nl);
  }

  @Test
  void leavesTheRestoreLineOutWhenNoCycleRestoredFromTheCache() {
    SoakFigures none =
        new SoakFigures(
            List.of(new SoakCycle("soak-hello-0", "hello", 900, false, "-", 0, "")), List.of(), 3);
    assertThat(none.restoreMs()).isEmpty();
    assertThat(none.report()).doesNotContain("restore + first answer").contains("0 of 1");
  }

  @Test
  void refusesARunWithoutCycles() {
    assertThatThrownBy(() -> new SoakFigures(List.of(), List.of(), 1))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
