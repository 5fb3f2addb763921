package dev.thaw.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StateMigrationTest {
  @Test
  void aStateFileIsOneAbsoluteWordOfQemusShellCommand() {
    assertThat(StateMigration.shellQuote(Path.of("/snapshots/a b/state")))
        .isEqualTo("'/snapshots/a b/state'");
    assertThat(StateMigration.shellQuote(Path.of("state")))
        .isEqualTo("'" + Path.of("state").toAbsolutePath() + "'");
  }

  @Test
  void aPathWithAQuoteIsRefusedRatherThanGivenToTheShell() {
    assertThatThrownBy(() -> StateMigration.shellQuote(Path.of("/snapshots/it's/state")))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void sharedMemoryIsLeftOutOfTheMigration() {
    assertThat(StateMigration.ignoreShared())
        .isEqualTo(
            Map.of(
                "capabilities", List.of(Map.of("capability", "x-ignore-shared", "state", true))));
  }
}
