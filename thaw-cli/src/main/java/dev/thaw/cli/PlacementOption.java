package dev.thaw.cli;

import dev.thaw.core.placement.PlacementScorer;
import picocli.CommandLine.Option;

/**
 * The {@code --placement} option of every command that places invocations on nodes, real or
 * simulated: the gateway's scorer, by name.
 */
final class PlacementOption {
  @Option(
      names = "--placement",
      defaultValue = "snapshot-aware",
      description = "default (spread by load) or snapshot-aware (default: ${DEFAULT-VALUE}).")
  String placement;

  /** The scorer named; an unknown name is an {@link IllegalArgumentException} that says so. */
  PlacementScorer scorer() {
    return PlacementScorer.named(placement);
  }

  /** The name as given, as the results and the banner print it. */
  @Override
  public String toString() {
    return placement;
  }
}
