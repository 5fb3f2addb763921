package dev.thaw.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProblemsTest {
  @Test
  void aValueThatParsesIsReturnedAndNotesNothing() throws Refusal {
    Problems problems = new Problems();
    assertThat(problems.parse("--nodes", () -> Integer.parseInt("3"))).contains(3);
    assertThat(problems.isEmpty()).isTrue();
    problems.refuseIfAny();
  }

  @Test
  void everyProblemIsOneLineOfOneRefusalNamingItsOption() {
    Problems problems = new Problems();
    assertThat(problems.parse("--nodes x", () -> Integer.parseInt("x"))).isEmpty();
    problems.add("--out is a file, not a directory");
    assertThat(problems.isEmpty()).isFalse();
    assertThatThrownBy(problems::refuseIfAny)
        .isInstanceOfSatisfying(
            Refusal.class,
            r ->
                assertThat(r.problems())
                    .containsExactly(
                        "--nodes x: For input string: \"x\"", "--out is a file, not a directory"));
  }

  @Test
  void aRefusalPrintsEachProblemOnItsOwnLineAndExitsWithStatusTwo() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status =
        new Refusal("--nodes must be at least 1, not 0\n--spread: unknown 'x'")
            .print(new PrintStream(err, true, StandardCharsets.UTF_8));
    assertThat(status).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .isEqualTo(
            "refused: --nodes must be at least 1, not 0"
                + System.lineSeparator()
                + "refused: --spread: unknown 'x'"
                + System.lineSeparator());
  }
}
