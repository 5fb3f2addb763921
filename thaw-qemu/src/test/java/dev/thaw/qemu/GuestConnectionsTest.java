package dev.thaw.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** What counts as a connection the guest still holds, in QEMU 7.2's {@code info usernet}. */
class GuestConnectionsTest {
  private static final String TABLE =
      """
      Hub -1 (n0):
        Protocol[State]    FD  Source Address  Port   Dest. Address  Port RecvQ SendQ
        TCP[HOST_FORWARD]  11       127.0.0.1 47001       10.0.2.15  8080     0     0
        TCP[ESTABLISHED]   20       127.0.0.1 47001       10.0.2.15  8080     0     0
        TCP[SYN_SENT]      21       127.0.0.1 47001       10.0.2.15  8080     0     0
        TCP[FIN_WAIT_2]    22       127.0.0.1 47001       10.0.2.15  8080     0     0
        TCP[CLOSE_WAIT]    23       127.0.0.1 47001       10.0.2.15  8080     0     0
        TCP[LAST_ACK]      24       127.0.0.1 47001       10.0.2.15  8080     0     0
        TCP[TIME_WAIT]     25       127.0.0.1 47001       10.0.2.15  8080     0     0
        UDP[236 sec]       26        10.0.2.15   68   255.255.255.255    67     0     0
      """;

  @Test
  void establishedAndHostClosedConnectionsAreHeldByTheGuest() {
    assertThat(GuestConnections.guestHeld(TABLE))
        .hasSize(2)
        .anySatisfy(l -> assertThat(l).startsWith("TCP[ESTABLISHED]"))
        .anySatisfy(l -> assertThat(l).startsWith("TCP[FIN_WAIT_2]"));
  }

  @Test
  void anAttemptTheGuestNeverAnsweredIsNot() {
    assertThat(GuestConnections.guestHeld(TABLE)).noneMatch(l -> l.startsWith("TCP[SYN_SENT]"));
  }

  @Test
  void listenersAndConnectionsTheGuestClosedAreNot() {
    String quiet =
        TABLE
            .lines()
            .filter(l -> !l.contains("ESTABLISHED"))
            .filter(l -> !l.contains("FIN_WAIT"))
            .reduce("", (a, b) -> a + b + "\n");
    assertThat(GuestConnections.guestHeld(quiet)).isEmpty();
    assertThat(GuestConnections.guestHeld("")).isEmpty();
  }
}
