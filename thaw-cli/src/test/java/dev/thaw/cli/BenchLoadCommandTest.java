package dev.thaw.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.thaw.bench.load.LoadRounds;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class BenchLoadCommandTest {
  private static BenchLoadCommand parsed(String... args) {
    CommandLine.ParseResult r = new CommandLine(new Thaw()).parseArgs(args);
    CommandLine load = r.subcommand().subcommand().commandSpec().commandLine();
    assertThat(load.getCommandName()).isEqualTo("load");
    return load.getCommand();
  }

  @Test
  void theDefaultsAreSixteenClientsForTwentySecondsAndABurstOfTwentyOnFourSlots() {
    LoadRounds.Shape s = parsed("bench", "load").shape();
    // The warm-up is a limit: it ends earlier once the JIT compilers are quiet.
    assertThat(s)
        .isEqualTo(
            new LoadRounds.Shape(16, Duration.ofSeconds(20), Duration.ofSeconds(240), 20, 4));
  }

  @Test
  void eachOptionReachesTheShape() {
    LoadRounds.Shape s =
        parsed(
                "bench",
                "load",
                "--clients",
                "8",
                "--duration",
                "30s",
                "--warmup",
                "0s",
                "--burst",
                "12",
                "--max-instances",
                "2")
            .shape();
    assertThat(s).isEqualTo(new LoadRounds.Shape(8, Duration.ofSeconds(30), Duration.ZERO, 12, 2));
  }

  @Test
  void optionsOutOfTheirBoundsAreRefusedBeforeAnythingStarts() {
    assertThatThrownBy(() -> parsed("bench", "load", "--clients", "65").shape())
        .hasMessage("--clients must be within 1..64: 65");
    assertThatThrownBy(() -> parsed("bench", "load", "--duration", "10m").shape())
        .hasMessage("--duration must be within 4 s and 120 s: 600000 ms");
    assertThatThrownBy(() -> parsed("bench", "load", "--warmup", "6m").shape())
        .hasMessageStartingWith("--warmup must be within 0 s and 300 s");
    assertThat(parsed("bench", "load", "--warmup", "5m").shape().warmup())
        .isEqualTo(Duration.ofMinutes(5));
    assertThatThrownBy(() -> parsed("bench", "load", "--burst", "0").shape())
        .hasMessage("--burst must be within 1..100: 0");
    assertThatThrownBy(() -> parsed("bench", "load", "--max-instances", "17").shape())
        .hasMessage("--max-instances must be within 1..16: 17");
  }
}
