package dev.thaw.node.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.thaw.core.function.BuiltinFunctions;
import dev.thaw.core.function.FunctionSpec;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class DeployBodyTest {
  private static Object parse(String json) {
    return DeployBody.parse(json.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void anImageStringMakesAnImageDeploymentAnythingElseAFunctionSpec() throws Exception {
    Object image =
        parse(
            "{\"image\":\"127.0.0.1:5000/fn:v1\",\"port\":9000,\"env\":[\"A=1\"],\"memoryMib\":512}");
    assertThat(image)
        .isEqualTo(
            new ImageDeployment(
                "127.0.0.1:5000/fn:v1", 9000, java.util.List.of("A=1"), null, null, 512, null));

    String hello = AgentClient.JSON.writeValueAsString(BuiltinFunctions.HELLO);
    assertThat(parse(hello)).isInstanceOf(FunctionSpec.class).isEqualTo(BuiltinFunctions.HELLO);
  }

  @Test
  void anImageDeploymentNamesItsHooksAndABadPathIsRefused() {
    Object image = parse("{\"image\":\"fn:v1\",\"hooks\":{\"afterRestore\":\"/renew?token=1\"}}");
    assertThat(((ImageDeployment) image).hooksOrNone())
        .isEqualTo(new dev.thaw.core.function.FunctionHooks(null, "/renew?token=1"));
    assertThat(((ImageDeployment) parse("{\"image\":\"fn:v1\"}")).hooks()).isNull();
    assertThat(AgentClient.JSON.writeValueAsString(ImageDeployment.of("fn:v1")))
        .doesNotContain("hooks");
    assertThatThrownBy(() -> parse("{\"image\":\"x\",\"hooks\":{\"afterRestore\":\"renew\"}}"))
        .isInstanceOf(Refused.class)
        .hasMessageContaining("afterRestore must be a path");
  }

  @Test
  void refusesWhatIsNeitherWithAReason() {
    for (String bad :
        new String[] {
          "null",
          "[]",
          "\"x\"",
          "{not json",
          "{\"image\":\"\"}",
          "{\"image\":\"x\",\"port\":\"p\"}",
          "{\"image\":5}"
        }) {
      assertThatThrownBy(() -> parse(bad))
          .as(bad)
          .isInstanceOf(Refused.class)
          .satisfies(e -> assertThat(((Refused) e).kind()).isEqualTo(Refused.Kind.INVALID))
          .hasMessageContaining("function spec");
    }
    assertThatThrownBy(() -> parse("{\"image\":\"\"}")).hasMessageContaining("image is empty");
  }

  @Test
  void anImageDeploymentCarriesItsEgressRulesAndRefusesOnesThatReachTheNode() {
    Object image =
        parse("{\"image\":\"fn:v1\",\"egress\":[\"api.example.com:443\",\"203.0.113.7:5432\"]}");
    assertThat(((ImageDeployment) image).egressRules())
        .extracting(Object::toString)
        .containsExactly("api.example.com:443", "203.0.113.7:5432");
    assertThat(ImageDeployment.of("fn:v1").egressRules()).isEmpty();
    for (String bad : new String[] {"127.0.0.1:8080", "localhost:80", "169.254.169.254:80", "x"}) {
      ImageDeployment d = ImageDeployment.of("fn:v1").withEgress(java.util.List.of(bad));
      assertThatThrownBy(d::egressRules).as(bad).isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void aTimeoutTravelsInBothBodies_leftOutWhenDefault() throws Exception {
    ImageDeployment image = (ImageDeployment) parse("{\"image\":\"fn:v1\",\"timeoutSeconds\":30}");
    assertThat(image.timeoutSeconds()).isEqualTo(30);
    assertThat(image).isEqualTo(ImageDeployment.of("fn:v1").withTimeoutSeconds(30));
    // Every copy keeps it.
    assertThat(image.withPort(1).withEnv(null).withMemoryMib(64).withEgress(null).timeoutSeconds())
        .isEqualTo(30);
    assertThat(AgentClient.JSON.writeValueAsString(image))
        .isEqualTo("{\"image\":\"fn:v1\",\"timeoutSeconds\":30}");
    assertThat(AgentClient.JSON.writeValueAsString(ImageDeployment.of("fn:v1")))
        .isEqualTo("{\"image\":\"fn:v1\"}");
    assertThat(((ImageDeployment) parse("{\"image\":\"fn:v1\"}")).timeoutSeconds()).isNull();

    FunctionSpec spec =
        (FunctionSpec)
            parse(
                AgentClient.JSON.writeValueAsString(BuiltinFunctions.HELLO.withTimeoutSeconds(5)));
    assertThat(spec.timeout()).hasSeconds(5);

    for (String bad : new String[] {"0", "-1", "901", "\"x\""}) {
      assertThatThrownBy(() -> parse("{\"image\":\"fn:v1\",\"timeoutSeconds\":" + bad + "}"))
          .as(bad)
          .isInstanceOf(Refused.class)
          .hasMessageContaining("invalid function spec");
    }
    assertThatThrownBy(() -> parse("{\"image\":\"fn:v1\",\"timeoutSeconds\":901}"))
        .hasMessageContaining("timeout must be within 1..900 s, not 901");
  }
}
