package dev.thaw.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MachineCpuTest {
  @TempDir Path dir;

  @Test
  void busyTimeLeavesOutIdleAndIowaitAndGuestTimeIsNotCountedTwice() {
    // user nice system idle iowait irq softirq steal guest guest_nice
    assertThat(MachineCpu.parse("cpu  100 5 40 9000 300 2 3 0 50 0"))
        .hasValue((100 + 5 + 40 + 2 + 3) * 10L);
    assertThat(MachineCpu.parse("cpu0 1 2 3 4 5")).isEmpty();
    assertThat(MachineCpu.parse("intr 1 2 3")).isEmpty();
  }

  @Test
  void readsAStatFileAndIsEmptyWithoutOne() throws Exception {
    Path stat =
        Files.writeString(
            dir.resolve("stat"), "cpu  7 0 3 500 1 0 0 0 0 0\ncpu0 7 0 3 500 1 0 0 0 0 0\n");
    assertThat(MachineCpu.reading(stat).busyMillis()).hasValue(100);
    assertThat(MachineCpu.reading(dir.resolve("absent")).busyMillis()).isEmpty();
  }

  @Test
  void theMachineCountsUpWhileThisThreadWorks() {
    long before = MachineCpu.system().busyMillis().orElseThrow();
    long until = System.nanoTime() + 200_000_000L;
    while (System.nanoTime() < until) {
      Thread.onSpinWait(); // busy, not asleep: the machine's busy time must grow
    }
    assertThat(MachineCpu.system().busyMillis().orElseThrow()).isGreaterThan(before);
  }
}
