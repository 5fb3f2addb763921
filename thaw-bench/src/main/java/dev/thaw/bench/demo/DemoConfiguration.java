package dev.thaw.bench.demo;

import dev.thaw.core.placement.PlacementScorer;
import dev.thaw.core.snapshot.SnapshotMode;
import java.util.List;

/**
 * One configuration {@code thaw demo} compares: the agents' snapshot mode, whether they cache
 * remote snapshots on their own disk, and how the gateway places invocations.
 *
 * @param name the configuration's name, as the table, the CSV and the report show it
 * @param mode the agents' snapshot mode
 * @param cacheRemote whether the agents cache remote snapshots
 * @param scorer the gateway's placement
 */
public record DemoConfiguration(
    String name, SnapshotMode mode, boolean cacheRemote, PlacementScorer scorer) {

  /** The thesis' Figure 6.5 configurations, in the order the demo runs and prints them. */
  public static final List<DemoConfiguration> ALL =
      List.of(
          new DemoConfiguration(
              "no snapshots", SnapshotMode.DISABLED, true, PlacementScorer.spreading()),
          new DemoConfiguration(
              "local snapshots", SnapshotMode.LOCAL, true, PlacementScorer.spreading()),
          new DemoConfiguration(
              "remote, no cache", SnapshotMode.REMOTE, false, PlacementScorer.spreading()),
          new DemoConfiguration(
              "remote, cached", SnapshotMode.REMOTE, true, PlacementScorer.spreading()),
          new DemoConfiguration(
              "remote, cached, snapshot-aware",
              SnapshotMode.REMOTE,
              true,
              PlacementScorer.snapshotAware(0.5)));
}
