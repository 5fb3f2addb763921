package dev.thaw.bench.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.core.snapshot.SnapshotMode;
import java.util.List;
import org.junit.jupiter.api.Test;

class DemoConfigurationTest {
  @Test
  void theFiveConfigurationsRunInTheOrderOfTheFigure() {
    assertThat(DemoConfiguration.ALL)
        .extracting(DemoConfiguration::name)
        .containsExactly(
            "no snapshots",
            "local snapshots",
            "remote, no cache",
            "remote, cached",
            "remote, cached, snapshot-aware");
    assertThat(DemoConfiguration.ALL)
        .extracting(DemoConfiguration::mode)
        .containsExactly(
            SnapshotMode.DISABLED,
            SnapshotMode.LOCAL,
            SnapshotMode.REMOTE,
            SnapshotMode.REMOTE,
            SnapshotMode.REMOTE);
  }

  @Test
  void onlyRemoteNoCacheLeavesRemoteSnapshotsUncached() {
    assertThat(DemoConfiguration.ALL)
        .extracting(DemoConfiguration::cacheRemote)
        .containsExactly(true, true, false, true, true);
  }

  @Test
  void onlyTheLastPlacesByWhereTheSnapshotIs() {
    List<Boolean> prefersCached =
        DemoConfiguration.ALL.stream()
            .map(c -> c.scorer().value(0.5, true) > c.scorer().value(0.5, false))
            .toList();
    assertThat(prefersCached).containsExactly(false, false, false, false, true);
  }
}
