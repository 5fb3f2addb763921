package dev.thaw.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.core.function.EgressRule;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EgressPolicyTest {
  private static final InetAddress NODE = address(192, 0, 2, 10);
  private static final Map<String, InetAddress[]> DNS =
      Map.of(
          "api.example.com", new InetAddress[] {address(203, 0, 113, 7)},
          "rebound.example.com", new InetAddress[] {address(203, 0, 113, 8), address(127, 0, 0, 1)},
          "metadata.example.com", new InetAddress[] {address(169, 254, 169, 254)},
          "node.example.com", new InetAddress[] {NODE});

  private final EgressPolicy policy =
      new EgressPolicy(
          List.of(
              EgressRule.parse("api.example.com:443"),
              EgressRule.parse("rebound.example.com:443"),
              EgressRule.parse("metadata.example.com:80"),
              EgressRule.parse("node.example.com:22"),
              EgressRule.parse("198.51.100.1:5432")),
          host -> {
            InetAddress[] a = DNS.get(host);
            if (a != null) {
              return a;
            }
            if (host.matches("[0-9.]+")) {
              return new InetAddress[] {InetAddress.getByName(host)};
            }
            throw new UnknownHostException(host);
          },
          NODE::equals);

  @Test
  void aDestinationARuleNamesIsConnectedToAtItsAddress() {
    assertThat(policy.decide("API.example.com", 443))
        .isEqualTo(
            new EgressPolicy.Decision.Connect(new InetSocketAddress(address(203, 0, 113, 7), 443)));
    assertThat(policy.decide("198.51.100.1", 5432))
        .isInstanceOf(EgressPolicy.Decision.Connect.class);
  }

  @Test
  void anythingNoRuleNamesIsRefused() {
    assertThat(refusal("api.example.com", 80)).contains("not among the function's egress rules");
    assertThat(refusal("127.0.0.1", 8080)).contains("not among");
    assertThat(refusal("10.0.2.2", 8080)).contains("not among");
    assertThat(refusal("other.example.com", 443)).contains("not among");
  }

  @Test
  void aNameThatResolvesToTheNodeOrASpecialAddressIsRefusedWhenConnecting() {
    assertThat(refusal("rebound.example.com", 443)).contains("127.0.0.1").contains("loopback");
    assertThat(refusal("metadata.example.com", 80)).contains("link-local");
    assertThat(refusal("node.example.com", 22)).contains("this node's own address");
  }

  private String refusal(String host, int port) {
    EgressPolicy.Decision d = policy.decide(host, port);
    assertThat(d).isInstanceOf(EgressPolicy.Decision.Refuse.class);
    return ((EgressPolicy.Decision.Refuse) d).why();
  }

  private static InetAddress address(int a, int b, int c, int d) {
    try {
      return InetAddress.getByAddress(new byte[] {(byte) a, (byte) b, (byte) c, (byte) d});
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void theClustersOwnPortsAreRefusedWhateverTheRulesSay() {
    EgressPolicy guarded =
        new EgressPolicy(
            List.of(EgressRule.parse("198.51.100.1:8701"), EgressRule.parse("198.51.100.1:443")),
            host -> new InetAddress[] {InetAddress.getByName(host)},
            NODE::equals,
            java.util.Set.of(8701));
    assertThat(guarded.decide("198.51.100.1", 8701))
        .isInstanceOfSatisfying(
            EgressPolicy.Decision.Refuse.class, r -> assertThat(r.why()).contains("peer port"));
    assertThat(guarded.decide("198.51.100.1", 443))
        .isInstanceOf(EgressPolicy.Decision.Connect.class);
  }
}
