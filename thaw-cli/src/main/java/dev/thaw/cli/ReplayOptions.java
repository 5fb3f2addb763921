package dev.thaw.cli;

import dev.thaw.core.trace.MinuteRange;
import dev.thaw.core.trace.ReplayPlan;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The options of a trace replayed on a cluster, which {@code thaw bench trace} (real agents) and
 * {@code thaw simulate} (a simulated cluster) read alike: the trace minutes, how arrivals spread
 * within a minute, the agents' snapshot mode and the gateway's placement.
 *
 * <p>Each command gives its own default minutes, {@link #ReplayOptions(String)}: a replay on this
 * machine lasts minutes, a simulation covers the day. Each value is parsed into a problem naming
 * its option, so that a command reports every bad option at once.
 */
final class ReplayOptions {
  @Option(
      names = "--minutes",
      description = "Trace minutes to replay, FROM-TO, TO excluded (default: ${DEFAULT-VALUE}).")
  String minutes;

  @Option(
      names = "--spread",
      defaultValue = "exponential",
      description =
          "Arrivals within a minute: exponential, uniform, equidistant (default: ${DEFAULT-VALUE}).")
  String spread;

  @Mixin SnapshotModeOption mode;

  @Mixin PlacementOption placement;

  /** The options with {@code minutes} as the default of {@code --minutes}. */
  ReplayOptions(String minutes) {
    this.minutes = minutes;
  }

  /** The minutes {@code text} names, or empty with a problem naming the option. */
  static Optional<MinuteRange> minutes(String text, List<String> problems) {
    try {
      return Optional.of(MinuteRange.parse(text));
    } catch (IllegalArgumentException e) {
      problems.add("--minutes " + text + ": " + e.getMessage());
      return Optional.empty();
    }
  }

  /** The spread of arrivals {@code text} names, or empty with a problem naming the option. */
  static Optional<ReplayPlan.Spread> spread(String text, List<String> problems) {
    try {
      return Optional.of(ReplayPlan.Spread.parse(text));
    } catch (IllegalArgumentException e) {
      problems.add("--spread: " + e.getMessage());
      return Optional.empty();
    }
  }
}
