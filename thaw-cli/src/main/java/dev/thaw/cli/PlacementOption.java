package dev.thaw.cli;

import dev.thaw.core.placement.PlacementScorer;
import java.util.List;
import java.util.Optional;
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

  /** The scorer named, or empty with a problem that names the option. */
  Optional<PlacementScorer> scorer(List<String> problems) {
    try {
      return Optional.of(scorer());
    } catch (IllegalArgumentException e) {
      problems.add("--placement: " + e.getMessage());
      return Optional.empty();
    }
  }

  /** The name as given, as the results and the banner print it. */
  @Override
  public String toString() {
    return placement;
  }
}
