package dev.thaw.cli;

import dev.thaw.core.placement.ExpectedStart;
import dev.thaw.core.placement.PlacementScorer;
import dev.thaw.core.placement.StartPriors;
import dev.thaw.node.gateway.Gateway;
import java.util.Locale;
import picocli.CommandLine.Option;

/**
 * The {@code --placement} option of every command that places invocations on nodes, real or
 * simulated: the gateway's scorer, by name, or placement by expected time to serve.
 */
final class PlacementOption {
  /** What the option says of its values; {@code thaw serve} repeats it with its own default. */
  static final String VALUES =
      "default (spread by load), snapshot-aware, or expected-time (the soonest of a warm, busy,"
          + " cloning or new instance)";

  @Option(
      names = "--placement",
      defaultValue = "snapshot-aware",
      description = "Which policy places cold starts: " + VALUES + " (default: ${DEFAULT-VALUE}).")
  String placement;

  /** The scorer named; an unknown name is an {@link IllegalArgumentException} that says so. */
  PlacementScorer scorer() {
    return PlacementScorer.named(placement);
  }

  /**
   * Sets the gateway's placement to the policy named (see {@link #applyTo(String,
   * Gateway.Builder)}).
   */
  Gateway.Builder applyTo(Gateway.Builder b) {
    return applyTo(placement, b);
  }

  /**
   * Sets {@code b}'s placement to the policy {@code name}: its scorer, and for {@code
   * expected-time} ranking by {@link ExpectedStart} with its default priors.
   *
   * @throws IllegalArgumentException for an unknown name
   */
  static Gateway.Builder applyTo(String name, Gateway.Builder b) {
    b.scorer(PlacementScorer.named(name));
    if (ExpectedStart.POLICY.equals(name.toLowerCase(Locale.ROOT))) {
      b.expectedTime(StartPriors.DEFAULT);
    }
    return b;
  }

  /** The name as given, as the results and the banner print it. */
  @Override
  public String toString() {
    return placement;
  }
}
