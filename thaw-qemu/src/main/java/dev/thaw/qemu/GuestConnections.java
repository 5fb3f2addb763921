package dev.thaw.qemu;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The guest's TCP connections in QEMU's user-mode network, as {@code info usernet} lists them. A
 * snapshot does not keep that network's connections, so one the guest holds when it is paused is,
 * in every clone, a connection to a peer that no longer exists.
 */
final class GuestConnections {
  private static final Pattern GUEST_HOLDS =
      Pattern.compile("TCP\\[(SYN_RCVD|ESTABLISHED|FIN_WAIT_1|FIN_WAIT_2|CLOSING)\\]");

  private final QmpClient qmp;

  GuestConnections(QmpClient qmp) {
    this.qmp = qmp;
  }

  /** QEMU's {@code info usernet}: the user-mode network's sockets and their TCP states. */
  String table() throws IOException {
    return qmp.execute("human-monitor-command", Map.of("command-line", "info usernet"))
        .asString("");
  }

  /**
   * The lines of an {@code info usernet} table whose connection the guest's side still holds:
   * established, closed by the host but not yet by the guest, or opened by the guest. Listeners,
   * connections the guest has closed, and connection attempts it never answered ({@code SYN_SENT}:
   * lost with the snapshot, unseen by the guest) do not count.
   */
  static List<String> guestHeld(String table) {
    return table
        .lines()
        .map(String::strip)
        .filter(l -> GUEST_HOLDS.matcher(l).lookingAt())
        .toList();
  }
}
