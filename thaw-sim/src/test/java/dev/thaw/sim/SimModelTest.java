package dev.thaw.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SimModelTest {
  @TempDir Path dir;

  @Test
  void theCommittedDefaultsReadAsTheBenchesWriteThem() {
    SimModel m = SimModel.defaults();
    assertThat(m.boot().p50()).isEqualTo(8122);
    assertThat(m.localRestore().p50()).isEqualTo(93);
    assertThat(m.remoteRestore().p50()).isEqualTo(155);
    assertThat(m.warmMs()).isEqualTo(5.35);
    assertThat(m.remoteBytes(256L << 20)).isEqualTo(14050918);
    // Half the guest: half the bytes and half the fetch's extra time.
    assertThat(m.remoteBytes(128L << 20)).isEqualTo(14050918 / 2);
    assertThat(m.remoteRestoreMs(0.5, 128L << 20)).isCloseTo(93 + 31, within(1e-9));
  }

  @Test
  void aBenchVmRunOverridesBootAndLocalRestore() throws Exception {
    Path vm =
        Files.writeString(
            dir.resolve("vm.json"),
            """
            {"coldBootMs": {"min": 1, "p10": 2, "p25": 3, "p50": 4, "p75": 5, "p90": 6,
                            "p95": 7, "p99": 8, "max": 9},
             "restoreMs": {"min": 10, "p10": 10, "p25": 10, "p50": 10, "p75": 10, "p90": 10,
                            "p95": 10, "p99": 10, "max": 10}}
            """);
    SimModel m = SimModel.withBenchFiles(List.of(vm));
    assertThat(m.boot().at(0.5)).isEqualTo(4);
    assertThat(m.boot().at(0.95)).isEqualTo(7);
    assertThat(m.boot().at(0.97)).isCloseTo(7.5, within(1e-9));
    assertThat(m.localRestore().p50()).isEqualTo(10);
    assertThat(m.remoteRestore().p50()).isEqualTo(155);
    assertThat(m.sources()).hasSize(2).last().isEqualTo(vm.toString());
  }

  @Test
  void aFileThatIsNoBenchOutputIsRefusedWithItsName() throws Exception {
    Path bad =
        Files.writeString(
            dir.resolve("bad.json"), "{\"coldBootMs\": {\"p50\": 3}, \"restoreMs\": {}}");
    assertThatThrownBy(() -> SimModel.withBenchFiles(List.of(bad)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("bad.json")
        .hasMessageContaining("'cold boot' has no number 'min'");
    Path scalar =
        Files.writeString(dir.resolve("scalar.json"), "{\"coldBootMs\": 3, \"restoreMs\": {}}");
    assertThatThrownBy(() -> SimModel.withBenchFiles(List.of(scalar)))
        .hasMessageContaining("scalar.json: 'coldBootMs' latencies are not an object");
    Path other = Files.writeString(dir.resolve("other.json"), "{\"function\": \"hello\"}");
    assertThatThrownBy(() -> SimModel.withBenchFiles(List.of(other)))
        .hasMessageContaining(
            "other.json: not the JSON of thaw bench vm, snapshots, remote or warm");
    Path notJson = Files.writeString(dir.resolve("x.json"), "{");
    assertThatThrownBy(() -> SimModel.withBenchFiles(List.of(notJson)))
        .hasMessageContaining("x.json: not JSON");
  }

  @Test
  void aBenchFileWithARenamedRowFailsNamingTheBenchTheRowAndTheFile() throws Exception {
    String summary =
        "{\"min\": 1, \"p10\": 1, \"p25\": 1, \"p50\": 1, \"p75\": 1, \"p90\": 1, \"p95\": 1,"
            + " \"p99\": 1, \"max\": 1}";
    Path renamed =
        Files.writeString(
            dir.resolve("remote.json"),
            "{\"bench\": \"remote\", \"guestMemoryBytes\": 268435456, \"results\": ["
                + "{\"method\": \"local restore\", \"latencyMs\": "
                + summary
                + "}, {\"method\": \"remote, chunked\", \"bytesPerRestore\": 5, \"latencyMs\": "
                + summary
                + "}]}");
    assertThatThrownBy(() -> SimModel.withBenchFiles(List.of(renamed)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(renamed.toString())
        .hasMessageContaining("thaw bench remote")
        .hasMessageContaining("no row 'remote, chunks'")
        .hasMessageContaining("remote restore")
        .hasMessageContaining("remote, chunked");
    // A vm document with its boots alone, as an older layout recognised by its fields.
    Path bootsOnly = Files.writeString(dir.resolve("vm.json"), "{\"coldBootMs\": " + summary + "}");
    assertThatThrownBy(() -> SimModel.withBenchFiles(List.of(bootsOnly)))
        .hasMessageContaining("vm.json")
        .hasMessageContaining("thaw bench vm")
        .hasMessageContaining("no row 'restore from snapshot'");
  }

  @Test
  void theCommittedBenchRunsOfTheHonestyCheckLoad() {
    Path honesty = Path.of("..", "bench-results", "honesty");
    SimModel m =
        SimModel.withBenchFiles(
            List.of(honesty.resolve("vm.json"), honesty.resolve("remote.json")));
    assertThat(m.boot().p50()).isEqualTo(9016.599943);
    assertThat(m.localRestore().p50()).isEqualTo(234.69183);
    assertThat(m.benchGuestBytes()).isEqualTo(268435456);
    assertThat(m.cores()).isEqualTo(2);
    assertThat(m.remoteRestore().p50()).isGreaterThan(m.localRestore().p50());
  }
}
