package dev.thaw.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The problems a command finds in its options, collected rather than thrown one at a time, so that
 * a person who made three typos reads about all three at once; {@link #refuseIfAny()} turns them
 * into the command's {@link Refusal}.
 */
final class Problems {
  private final List<String> found = new ArrayList<>();

  /** Notes a problem, said in one line. */
  void add(String problem) {
    found.add(problem);
  }

  /**
   * The value {@code parse} returns, or empty with a problem when it throws an {@link
   * IllegalArgumentException}: {@code what}, a colon and the exception's message.
   *
   * @param what the option (and the text given, where the message does not repeat it)
   */
  <T> Optional<T> parse(String what, Supplier<T> parse) {
    try {
      return Optional.of(parse.get());
    } catch (IllegalArgumentException e) {
      add(what + ": " + e.getMessage());
      return Optional.empty();
    }
  }

  boolean isEmpty() {
    return found.isEmpty();
  }

  /** Throws the refusal of every problem noted so far, if there is any. */
  void refuseIfAny() throws Refusal {
    if (!found.isEmpty()) {
      throw Refusal.of(found);
    }
  }

  @Override
  public String toString() {
    return String.join("; ", found);
  }
}
