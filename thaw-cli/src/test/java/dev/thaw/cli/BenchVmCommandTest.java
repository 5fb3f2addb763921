package dev.thaw.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.bench.vm.BootRestoreTimes;
import dev.thaw.core.bench.ModelRow;
import dev.thaw.core.stats.LatencySummary;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

class BenchVmCommandTest {
  @Test
  void theTableHoldsWhatTheFormatStringsPrinted() {
    LatencySummary boot = LatencySummary.of(List.of(8123.4, 9000.0, 9876.5));
    LatencySummary restore = LatencySummary.of(List.of(250.4, 300.6, 310.0, 280.2));
    String row = "%-28s %10.0f %10.0f %6d%n";
    assertThat(BenchVmCommand.table(new BootRestoreTimes(boot, restore)))
        .isEqualTo(
            String.format(
                    "%-28s %10s %10s %6s%n", "time to first response", "median ms", "p90 ms", "n")
                + String.format(
                    Locale.ROOT,
                    row,
                    ModelRow.VM_COLD_BOOT.label(),
                    boot.p50(),
                    boot.p90(),
                    boot.count())
                + String.format(
                    Locale.ROOT,
                    row,
                    ModelRow.VM_RESTORE.label(),
                    restore.p50(),
                    restore.p90(),
                    restore.count()));
  }
}
