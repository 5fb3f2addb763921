package dev.thaw.bench.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DemoRoundsTest {
  @Test
  void aRoundInvokesTheBuiltInFunctionsThenThePythonOne() {
    assertThat(DemoRounds.REVISIONS)
        .containsExactly("hello", "stateful", "stateful-64", "hello-small", "python");
    assertThat(DemoRounds.FUNCTIONS.get("stateful-64").memoryMib()).isEqualTo(256);
  }

  @Test
  void aDemoNeedsANodeAndARoundAfterTheOneThatMakesTheSnapshots() {
    assertThatThrownBy(() -> new DemoRounds.Shape(0, 2, Duration.ofSeconds(1), 1, 0, 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new DemoRounds.Shape(1, 1, Duration.ofSeconds(1), 1, 0, 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(new DemoRounds.Shape(1, 2, Duration.ofSeconds(1), 1, 0, 0).rounds()).isEqualTo(2);
  }
}
