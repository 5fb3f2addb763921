package dev.thaw.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
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

  /** The longest path it uses is one this process can connect to, and the next is refused. */
  @Test
  void theLongestSocketPathItUsesIsOneThisProcessCanConnectTo() throws Exception {
    Path dir = Files.createTempDirectory("thaw-mig-");
    try {
      Path state = Files.write(dir.resolve("state"), new byte[1024]);
      String prefix = dir.toAbsolutePath() + "/";
      Path longest = Path.of(prefix + "x".repeat(StateMigration.MAX_SOCKET_PATH - prefix.length()));
      assertThat(longest.toString()).hasSize(StateMigration.MAX_SOCKET_PATH);
      assertThat(StateMigration.socketFits(state, longest)).isTrue();
      assertThat(StateMigration.socketFits(state, Path.of(longest + "y"))).isFalse();
      try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
        server.bind(UnixDomainSocketAddress.of(longest));
        try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(longest))) {
          assertThat(client.isConnected()).isTrue();
        }
      }
    } finally {
      try (var files = Files.list(dir)) {
        for (Path f : (Iterable<Path>) files::iterator) {
          Files.delete(f);
        }
      }
      Files.delete(dir);
    }
  }

  @Test
  void sharedMemoryIsLeftOutOfTheMigration() {
    assertThat(StateMigration.ignoreShared())
        .isEqualTo(
            Map.of(
                "capabilities", List.of(Map.of("capability", "x-ignore-shared", "state", true))));
  }
}
