package dev.thaw.sim;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.core.snapshot.SnapshotMode;
import org.junit.jupiter.api.Test;

class SnapshotLocationsTest {
  private long now;

  private SnapshotLocations locations(SnapshotMode mode, long cacheBytes) {
    return new SnapshotLocations(
        SimulatorTest.workload(2),
        SimulatorTest.config(3, cacheBytes, "default", mode),
        SimulatorTest.MODEL,
        () -> now);
  }

  @Test
  void aSnapshotMadeOnANodeIsRestoredThereLocallyAndElsewhereRemotely() {
    SnapshotLocations s = locations(SnapshotMode.REMOTE, 10L << 30);
    assertThat(s.startOf(0, 0)).isEqualTo(SnapshotLocations.Source.BOOT);
    s.snapshotted(0, 0);
    assertThat(s.inRemote(0)).isTrue();
    assertThat(s.startOf(0, 0)).isEqualTo(SnapshotLocations.Source.LOCAL);
    assertThat(s.startOf(0, 1)).isEqualTo(SnapshotLocations.Source.REMOTE);
    // The remote restore cached it on node 1 too.
    assertThat(s.cachingCount(0)).isEqualTo(2);
    assertThat(s.cachedOn(1, 0)).isTrue();
    assertThat(s.startOf(0, 1)).isEqualTo(SnapshotLocations.Source.LOCAL);
    assertThat(s.startOf(1, 1)).isEqualTo(SnapshotLocations.Source.BOOT);
  }

  @Test
  void localModeNeverFetchesAndDisabledAlwaysBoots() {
    SnapshotLocations local = locations(SnapshotMode.LOCAL, 10L << 30);
    local.snapshotted(0, 0);
    assertThat(local.inRemote(0)).isFalse();
    assertThat(local.startOf(0, 1)).isEqualTo(SnapshotLocations.Source.BOOT);
    assertThat(local.startOf(0, 0)).isEqualTo(SnapshotLocations.Source.LOCAL);

    SnapshotLocations disabled = locations(SnapshotMode.DISABLED, 10L << 30);
    disabled.snapshotted(0, 0);
    assertThat(disabled.startOf(0, 0)).isEqualTo(SnapshotLocations.Source.BOOT);
  }

  @Test
  void anEvictedSnapshotLeavesTheReverseIndex() {
    long guest = SimulatorTest.workload(2).guestBytes[0];
    // Room for one snapshot: the second evicts the first.
    SnapshotLocations s = locations(SnapshotMode.REMOTE, guest + guest / 2);
    s.cache(0, 2);
    assertThat(s.cachingCount(0)).isEqualTo(1);
    assertThat(s.cachingNode(0, 0)).isEqualTo(2);
    now = 10;
    s.cache(1, 2);
    assertThat(s.cachingCount(0)).isZero();
    assertThat(s.cachedOn(2, 0)).isFalse();
    assertThat(s.cachingCount(1)).isEqualTo(1);
  }
}
