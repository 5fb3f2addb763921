package dev.thaw.cli;

import dev.thaw.core.snapshot.SnapshotMode;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * The {@code --mode} option of the commands that start agents on this machine or simulate them:
 * whether and where the agents keep snapshots. ({@code thaw agent} declares its own: its default
 * comes from the environment.)
 */
final class SnapshotModeOption {
  @Option(
      names = "--mode",
      defaultValue = "remote",
      description = "Snapshot mode: disabled, local or remote (default: ${DEFAULT-VALUE}).")
  String mode;

  /** The mode named; an unknown name is an {@link IllegalArgumentException} that says so. */
  SnapshotMode parse() {
    return SnapshotMode.parse(mode);
  }

  /** The mode {@code text} names, or empty with a problem that names the option. */
  static Optional<SnapshotMode> parse(String text, List<String> problems) {
    try {
      return Optional.of(SnapshotMode.parse(text));
    } catch (IllegalArgumentException e) {
      problems.add("--mode: " + e.getMessage());
      return Optional.empty();
    }
  }

  /** The mode as given, as the results print it. */
  @Override
  public String toString() {
    return mode;
  }
}
