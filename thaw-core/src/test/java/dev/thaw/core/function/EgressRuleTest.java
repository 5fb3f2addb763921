package dev.thaw.core.function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.json.JsonMapper;

class EgressRuleTest {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  @Test
  void readsAnAddressAndPortAndWritesThemBack() {
    EgressRule rule = EgressRule.parse("203.0.113.7:443");
    assertThat(rule.port()).isEqualTo(443);
    assertThat(rule.host()).isEqualTo("203.0.113.7");
    assertThat(rule).hasToString("203.0.113.7:443");
    EgressRule named = EgressRule.parse("API.Example.com:8443");
    assertThat(named).hasToString("api.example.com:8443");
    assertThat(named.matches("api.example.COM", 8443)).isTrue();
    assertThat(named.matches("api.example.com", 443)).isFalse();
    assertThat(named.matches("example.com", 8443)).isFalse();
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = ';',
      value = {
        "127.0.0.1:80; loopback",
        "127.1.2.3:80; loopback",
        "0.0.0.0:80; unspecified",
        "169.254.169.254:80; link-local",
        "224.0.0.1:80; multicast",
        "255.255.255.255:80; broadcast",
        "localhost:80; loopback",
        "db.localhost:80; loopback",
        "-bad.example.com:80; not a host name",
        "a..b:80; not a host name",
        "example.com; HOST:PORT",
        "http://example.com:80; HOST:PORT",
        "256.1.1.1:80; not an IPv4 address",
        "1.2.3.4:0; within 1..65535",
        "1.2.3.4:65536; within 1..65535",
        "1.2.3.4; HOST:PORT",
        "[::1]:80; HOST:PORT",
      })
  void refusesWhatWouldReachTheNodeOrIsNotAnAddressAndPort(String text, String why) {
    assertThatThrownBy(() -> EgressRule.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(why);
  }

  @Test
  void aSpecCarriesItsRulesThroughJsonAndABuiltInSpecWithoutRulesReadsAsBefore() {
    FunctionSpec spec =
        BuiltinFunctions.HELLO.withEgress(
            List.of(EgressRule.parse("203.0.113.7:443"), EgressRule.parse("198.51.100.1:80")));
    String json = JSON.writeValueAsString(spec);
    assertThat(json).contains("\"egress\":[\"203.0.113.7:443\",\"198.51.100.1:80\"]");
    assertThat(JSON.readValue(json, FunctionSpec.class)).isEqualTo(spec);
    assertThat(JSON.writeValueAsString(BuiltinFunctions.HELLO)).doesNotContain("egress");
    assertThat(BuiltinFunctions.HELLO.egress()).isEmpty();
  }

  @Test
  void aSpecRefusesTheSameDestinationTwiceAndTooManyRules() {
    EgressRule rule = EgressRule.parse("203.0.113.7:443");
    assertThatThrownBy(() -> BuiltinFunctions.HELLO.withEgress(List.of(rule, rule)))
        .hasMessageContaining("twice");
    List<EgressRule> many =
        java.util.stream.IntStream.range(1, FunctionSpec.MAX_EGRESS_RULES + 2)
            .mapToObj(p -> EgressRule.parse("203.0.113.7:" + p))
            .toList();
    assertThatThrownBy(() -> BuiltinFunctions.HELLO.withEgress(many))
        .hasMessageContaining("at most " + FunctionSpec.MAX_EGRESS_RULES);
  }
}
