package dev.thaw.cli;

import dev.thaw.core.snapshot.SnapshotMode;
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

  /** The mode as given, as the results print it. */
  @Override
  public String toString() {
    return mode;
  }
}
