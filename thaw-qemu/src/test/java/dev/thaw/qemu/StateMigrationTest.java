package dev.thaw.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
  void aSmallStateGoesThroughASocketWithAShortPath(@TempDir Path dir) throws Exception {
    Path state = Files.write(dir.resolve("state"), new byte[56 * 1024]);
    assertThat(StateMigration.socketFits(state, dir.resolve("s.sock"))).isTrue();

    Path longName = dir.resolve("x".repeat(StateMigration.MAX_SOCKET_PATH)).resolve("s.sock");
    assertThat(StateMigration.socketFits(state, longName)).isFalse();
    assertThat(StateMigration.socketFits(state, dir.resolve("a,b.sock"))).isFalse();

    Path big = Files.write(dir.resolve("big"), new byte[(int) StateMigration.MAX_SOCKET_STATE + 1]);
    assertThat(StateMigration.socketFits(big, dir.resolve("s.sock"))).isFalse();
    assertThat(StateMigration.socketFits(dir.resolve("missing"), dir.resolve("s.sock"))).isFalse();
  }

  @Test
  void sharedMemoryIsLeftOutOfTheMigration() {
    assertThat(StateMigration.ignoreShared())
        .isEqualTo(
            Map.of(
                "capabilities", List.of(Map.of("capability", "x-ignore-shared", "state", true))));
  }
}
