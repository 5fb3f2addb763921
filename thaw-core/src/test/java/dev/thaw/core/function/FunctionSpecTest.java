package dev.thaw.core.function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

class FunctionSpecTest {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  @Test
  void builtinsAreValidAndFoundById() {
    assertThat(BuiltinFunctions.byId("stateful")).contains(BuiltinFunctions.STATEFUL);
    assertThat(BuiltinFunctions.byId("nope")).isEmpty();
    assertThat(BuiltinFunctions.STATEFUL.memoryBytes()).isEqualTo(256L << 20);
  }

  @Test
  void rejectsIdsThatCouldEscapeADirectory() {
    assertThatThrownBy(() -> new FunctionSpec("../x", 256, 1, "hello", 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("function id");
  }

  @Test
  void rejectsInitStateLargerThanHalfTheMemory() {
    assertThatThrownBy(() -> new FunctionSpec("big", 128, 1, "stateful", 100))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("initMib");
  }

  @Test
  void theTimeoutDefaultsTo60sAndIsBounded() {
    assertThat(BuiltinFunctions.HELLO.timeoutSeconds()).isZero();
    assertThat(BuiltinFunctions.HELLO.timeout()).isEqualTo(Duration.ofSeconds(60));
    assertThat(BuiltinFunctions.HELLO.withTimeoutSeconds(1).timeout()).hasSeconds(1);
    assertThat(BuiltinFunctions.HELLO.withTimeoutSeconds(900).timeout()).hasSeconds(900);
    for (int bad : new int[] {-1, 901, Integer.MIN_VALUE}) {
      assertThatThrownBy(() -> BuiltinFunctions.HELLO.withTimeoutSeconds(bad))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("a function's timeout must be within 1..900 s, not " + bad);
    }
  }

  @Test
  void theTimeoutSurvivesEveryCopy() {
    FunctionSpec f = BuiltinFunctions.HELLO.withTimeoutSeconds(30);
    assertThat(f.withEgress(List.of(EgressRule.parse("example.com:443"))).timeoutSeconds())
        .isEqualTo(30);
    FunctionSpec image =
        FunctionSpec.ofImage(
                "fn",
                256,
                1,
                FunctionImage.of(
                    java.nio.file.Path.of("/a.ext4"),
                    "sha256:" + "ab".repeat(32),
                    List.of("x"),
                    80))
            .withTimeoutSeconds(30);
    assertThat(image.withRootfs(java.nio.file.Path.of("/x")).timeoutSeconds()).isEqualTo(30);
  }

  @Test
  void aDefaultTimeoutIsLeftOutOfJson_soOldSpecsReadAndWriteAsBefore() {
    String old =
        "{\"id\":\"hello\",\"memoryMib\":256,\"vcpus\":1,\"handler\":\"hello\"," + "\"initMib\":0}";
    FunctionSpec read = JSON.readValue(old, FunctionSpec.class);
    assertThat(read).isEqualTo(new FunctionSpec("hello", 256, 1, "hello", 0));
    assertThat(JSON.writeValueAsString(read)).isEqualTo(old);

    FunctionSpec timed = read.withTimeoutSeconds(30);
    String json = JSON.writeValueAsString(timed);
    assertThat(json).isEqualTo(old.replace("}", ",\"timeoutSeconds\":30}"));
    assertThat(JSON.readValue(json, FunctionSpec.class)).isEqualTo(timed);
    assertThatThrownBy(
            () -> JSON.readValue(old.replace("}", ",\"timeoutSeconds\":1000}"), FunctionSpec.class))
        .hasMessageContaining("timeout must be within 1..900 s");
  }
}
