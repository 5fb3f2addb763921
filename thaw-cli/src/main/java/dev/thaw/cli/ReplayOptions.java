package dev.thaw.cli;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The options of a trace replayed on a cluster, which {@code thaw bench trace} (real agents) and
 * {@code thaw simulate} (a simulated cluster) read alike: the trace minutes, how arrivals spread
 * within a minute, the agents' snapshot mode and the gateway's placement.
 *
 * <p>Each command gives its own default minutes, {@link #ReplayOptions(String)}: a replay on this
 * machine lasts minutes, a simulation covers the day.
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
}
