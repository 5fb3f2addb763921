package dev.thaw.cli;

import java.io.PrintStream;
import java.util.List;

/**
 * Why a command that checks everything before it starts (a trace replay, a simulation) refuses to
 * start: one line per problem with its options, the trace or the plan. The command prints each line
 * as {@code refused: ...} on stderr and exits with status 2, as picocli does for usage errors, with
 * no stack trace: the person at the terminal has a typo to fix, not a bug to report.
 */
final class Refusal extends Exception {
  private static final long serialVersionUID = 1L;

  /** The exit status of a refused command. */
  static final int STATUS = 2;

  /** A refusal of one or more problems, one per line. */
  Refusal(String problems) {
    super(problems);
  }

  /** A refusal of these problems; call only with at least one. */
  static Refusal of(List<String> problems) {
    if (problems.isEmpty()) {
      throw new IllegalArgumentException("a refusal names at least one problem");
    }
    return new Refusal(String.join("\n", problems));
  }

  /** The problems, one per line. */
  List<String> problems() {
    return List.of(getMessage().split("\n"));
  }

  /** Prints each problem as {@code refused: ...} on {@code err} and returns {@link #STATUS}. */
  int print(PrintStream err) {
    problems().forEach(p -> err.println("refused: " + p));
    return STATUS;
  }
}
