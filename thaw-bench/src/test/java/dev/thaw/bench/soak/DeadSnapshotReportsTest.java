package dev.thaw.bench.soak;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.node.snapshot.DeadSnapshot;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeadSnapshotReportsTest {
  @TempDir Path dir;

  @Test
  void writesEachDeadSnapshotToAFileOfItsOwnAndSaysWhere() throws Exception {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    DeadSnapshotReports reports =
        new DeadSnapshotReports(dir, new PrintStream(printed, true, StandardCharsets.UTF_8));
    DeadSnapshot first = SoakFiguresTest.dead("soak-hello-0", DeadSnapshot.Phase.VERIFY);
    DeadSnapshot second = SoakFiguresTest.dead("soak-hello-0", DeadSnapshot.Phase.RESTORE);

    reports.record(first);
    reports.record(second);

    assertThat(reports.found()).containsExactly(first, second);
    Path one = dir.resolve("dead-1-soak-hello-0.txt");
    assertThat(Files.readString(one))
        .startsWith(
            "revision soak-hello-0, made 2026-12-07T00:00:00Z, found at VERIFY after 1500 ms")
        .contains(first.failure().getMessage());
    assertThat(Files.readString(dir.resolve("dead-2-soak-hello-0.txt")))
        .contains("found at RESTORE");
    assertThat(printed.toString(StandardCharsets.UTF_8))
        .contains(
            "  DEAD snapshot soak-hello-0 (VERIFY): its clone did not answer within 1500 ms;"
                + " report in "
                + one);
  }

  @Test
  void saysSoWhenAReportCannotBeWritten() {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    DeadSnapshotReports reports =
        new DeadSnapshotReports(
            dir.resolve("missing"), new PrintStream(printed, true, StandardCharsets.UTF_8));
    reports.record(SoakFiguresTest.dead("soak-hello-0", DeadSnapshot.Phase.VERIFY));
    assertThat(reports.found()).hasSize(1);
    assertThat(printed.toString(StandardCharsets.UTF_8)).contains("  cannot write ");
  }
}
