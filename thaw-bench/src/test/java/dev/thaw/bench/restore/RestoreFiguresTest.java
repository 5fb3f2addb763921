package dev.thaw.bench.restore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.core.bench.BenchRow;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RestoreFiguresTest {
  private static RestoreFigures.Samples samples(double... ms) {
    RestoreFigures.Samples s = new RestoreFigures.Samples();
    for (double v : ms) {
      s.ms.add(v);
    }
    return s;
  }

  @Test
  void theFiguresAreTheMediansOfTheRounds() {
    RestoreFigures.Samples s = samples(100, 300, 200);
    s.bytes.addAll(List.of(10.0, 30.0, 20.0));
    s.allBytes.addAll(List.of(40.0, 60.0, 50.0));
    s.cpuMs.addAll(List.of(7.0, 9.0, 8.0));
    s.waits.addAll(List.of(1.0, 3.0, 2.0));
    s.waitMs.addAll(List.of(0.5, 1.5, 1.0));
    s.byPart.put("vmm", List.of(4.0, 6.0, 5.0));

    RestoreFigures f = s.figures("remote, chunks", 50);

    assertThat(f.method()).isEqualTo("remote, chunks");
    assertThat(f.latencyMs().count()).isEqualTo(3);
    assertThat(f.latencyMs().p50()).isEqualTo(200);
    assertThat(f.ratioToLocal()).isEqualTo(4.0);
    assertThat(f.bytesPerRestore()).isEqualTo(20);
    assertThat(f.allBytesPerRestore()).isEqualTo(50);
    assertThat(f.cpuMsPerRestore()).isEqualTo(8);
    assertThat(f.readWaits()).isEqualTo(2);
    assertThat(f.readWaitMs()).isEqualTo(1.0);
    assertThat(f.cpuMsByPart()).containsExactly(Map.entry("vmm", 5L));
  }

  @Test
  void unreadableCountersAreMinusOneForTheMachineAndZeroForLazyWaits() {
    RestoreFigures.Samples s = samples(100);
    s.bytes.add(0.0);
    s.allBytes.add(0.0);
    RestoreFigures f = s.figures("local restore", 100);
    assertThat(f.cpuMsPerRestore()).isEqualTo(-1);
    assertThat(f.readWaits()).isZero();
    assertThat(f.readWaitMs()).isZero();
    assertThat(f.cpuMsByPart()).isEmpty();
  }

  @Test
  void theRowCarriesEveryFigureUnderItsName() {
    RestoreFigures.Samples s = samples(100);
    s.bytes.add(10.0);
    s.allBytes.add(40.0);
    BenchRow row = s.figures("remote, lazy", 50).row();
    assertThat(row.label()).isEqualTo("remote, lazy");
    assertThat(row.figures())
        .containsKeys(
            "ratioToLocal",
            BenchRow.BYTES_PER_RESTORE,
            "allBytesPerRestore",
            "cpuMsPerRestore",
            "cpuMsByPart",
            "readWaits",
            "readWaitMs")
        .containsEntry("ratioToLocal", 2.0)
        .containsEntry(BenchRow.BYTES_PER_RESTORE, 10L)
        .containsEntry("allBytesPerRestore", 40L);
  }
}
