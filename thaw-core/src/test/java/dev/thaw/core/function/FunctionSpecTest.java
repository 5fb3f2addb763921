package dev.thaw.core.function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class FunctionSpecTest {
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
}
