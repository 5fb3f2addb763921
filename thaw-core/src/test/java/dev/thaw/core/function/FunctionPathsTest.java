package dev.thaw.core.function;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FunctionPathsTest {
  @Test
  void reservedPathsAreTheGuestsControlRequestsHoweverEscaped() {
    assertThat(FunctionPaths.reserved("/_thaw/resume?seed=00&t=1")).isTrue();
    assertThat(FunctionPaths.reserved("/_thaw")).isTrue();
    assertThat(FunctionPaths.reserved("/%5Fthaw/mute")).isTrue();
    assertThat(FunctionPaths.reserved("/%5f%74haw%2Fmute")).isTrue();
    assertThat(FunctionPaths.reserved("/_thawing")).isFalse();
    assertThat(FunctionPaths.reserved("/x/_thaw/mute")).isFalse();
    assertThat(FunctionPaths.reserved("/?path=/_thaw/mute")).isFalse();
  }
}
