package dev.thaw.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.bench.vm.BootRestoreTimes;
import dev.thaw.bench.vm.RestoreBreakdown;
import dev.thaw.core.bench.ModelRow;
import dev.thaw.core.stats.LatencySummary;
import dev.thaw.core.vmm.RestorePhases;
import java.time.Duration;
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

  @Test
  void theBreakdownPutsEachPhasesMediansSideBySideWithTheirRatio() {
    RestoreBreakdown b = new RestoreBreakdown();
    b.vmm(new RestorePhases(false, ms(40), ms(10), ms(2), ms(100)));
    b.invoked(ms(20));
    b.vmm(new RestorePhases(true, ms(10), ms(10), ms(2), ms(100)));
    b.invoked(ms(20));
    String table = BenchVmCommand.breakdownTable(b);
    assertThat(table.lines())
        .anySatisfy(
            l ->
                assertThat(l)
                    .startsWith("QEMU ready")
                    .contains("40.0")
                    .contains("10.0")
                    .endsWith("0.25"))
        .anySatisfy(l -> assertThat(l).startsWith("total").contains("172.0").contains("142.0"));
  }

  @Test
  void withoutPooledRestoresTheBreakdownSaysSo() {
    RestoreBreakdown b = new RestoreBreakdown();
    b.vmm(new RestorePhases(false, ms(40), ms(10), ms(2), ms(100)));
    b.invoked(ms(20));
    assertThat(BenchVmCommand.breakdownTable(b).lines())
        .anySatisfy(l -> assertThat(l).startsWith("total").endsWith("-"));
  }

  private static Duration ms(long millis) {
    return Duration.ofMillis(millis);
  }
}
