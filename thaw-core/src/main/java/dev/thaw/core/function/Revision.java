package dev.thaw.core.function;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The name of one deployed version of a function (a Knative revision): lower-case letters, digits,
 * dots and dashes, starting with a letter or digit, at most {@value #MAX_LENGTH} characters. It
 * names directories of the snapshot cache and keys of remote storage, so the bound keeps it well
 * within file-name limits. Validated here, once, where a revision enters (HTTP, command line,
 * manifest); code behind that edge takes a {@code Revision} and need not check again.
 */
public record Revision(String value) implements Comparable<Revision> {
  /** Longest revision accepted; file names allow 255 bytes, and suffixes are added to it. */
  public static final int MAX_LENGTH = 128;

  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9.-]*");

  public Revision {
    Objects.requireNonNull(value, "revision");
    if (value.isEmpty() || value.length() > MAX_LENGTH) {
      throw new IllegalArgumentException(
          "a revision has 1 to " + MAX_LENGTH + " characters, not " + value.length());
    }
    if (!NAME.matcher(value).matches() || value.contains("..")) {
      throw new IllegalArgumentException(
          "a revision is lower-case letters, digits, dots and dashes, starting with a letter or"
              + " digit: '"
              + value
              + "'");
    }
  }

  public static Revision of(String value) {
    return new Revision(value);
  }

  /** Whether {@code value} is a valid revision. */
  public static boolean isValid(String value) {
    try {
      new Revision(value);
      return true;
    } catch (IllegalArgumentException | NullPointerException e) {
      return false;
    }
  }

  @Override
  public int compareTo(Revision o) {
    return value.compareTo(o.value);
  }

  @Override
  public String toString() {
    return value;
  }
}
