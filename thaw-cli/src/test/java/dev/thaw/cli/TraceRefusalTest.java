package dev.thaw.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.core.trace.SyntheticTrace;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TraceRefusalTest {
  @TempDir Path dir;

  @Test
  void aTraceThatWouldExceedTheMachineIsRefusedUpFrontWithTheReason() throws Exception {
    SyntheticTrace.write(dir, 300, 5);
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream saved = System.err;
    System.setErr(new PrintStream(err, true));
    int status;
    try {
      status =
          Thaw.commandLine()
              .execute(
                  "bench",
                  "trace",
                  "--trace",
                  dir.toString(),
                  "--functions",
                  "300",
                  "--minutes",
                  "0-30",
                  "--time-scale",
                  "60",
                  "--nodes",
                  "1",
                  "--max-instances",
                  "4");
    } finally {
      System.setErr(saved);
    }
    assertThat(status).isEqualTo(2);
    assertThat(err.toString())
        .contains("refused: this trace needs up to")
        .contains("1 nodes x 4 instances run 4");
  }
}
