package dev.thaw.node.peer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PeerAddressTest {
  @Test
  void aHostAloneGetsTheDefaultPort() {
    assertThat(PeerAddress.parse("10.244.1.7")).isEqualTo(new PeerAddress("10.244.1.7", 8701));
    assertThat(PeerAddress.parse(" node-a:9000 ")).isEqualTo(new PeerAddress("node-a", 9000));
    assertThat(PeerAddress.parse("127.0.0.1:0").port()).isZero();
  }

  @Test
  void anythingElseIsRefused() {
    for (String bad : new String[] {"", ":8701", "10.0.0.1:x", "10.0.0.1:70000", "a/b:1", "::1"}) {
      assertThatThrownBy(() -> PeerAddress.parse(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class);
    }
  }
}
