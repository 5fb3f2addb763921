package dev.thaw.core.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class CacheIndexTest {
  private final AtomicLong now = new AtomicLong(1_000);
  private final CacheIndex index = CacheIndex.builder().capacityBytes(100).clock(now::get).build();

  private void put(String revision, long bytes) {
    var admission = index.admit(revision, bytes).orElseThrow();
    index.release(index.commit(admission, bytes).orElseThrow().lease());
    now.addAndGet(10);
  }

  @Test
  void evictsTheLeastRecentlyUsed() {
    put("a", 40);
    put("b", 40);
    index.release(index.acquire("a").orElseThrow()); // a is now more recent than b
    now.addAndGet(10);
    var admission = index.admit("c", 40).orElseThrow();
    assertThat(admission.evicted()).containsExactly("b");
    assertThat(index.usedBytes()).isEqualTo(80);
  }

  @Test
  void neverEvictsAPinnedEntry() {
    put("a", 60);
    var lease = index.acquire("a").orElseThrow();
    assertThat(index.admit("b", 60)).isEmpty();
    assertThat(index.revisions()).containsExactly("a");
    index.release(lease);
    assertThat(index.admit("b", 60).orElseThrow().evicted()).containsExactly("a");
  }

  @Test
  void anAdmissionEvictingIdleEntriesOnlySparesTheRecentOnes() {
    put("a", 40); // last used at 1000
    put("b", 40); // last used at 1010
    now.set(1_100);
    // Only entries idle 95 ms or more (used by 1005) may go: a, not b.
    assertThat(index.admitEvictingIdle("c", 70, 95)).isEmpty();
    assertThat(index.revisions()).containsExactly("a", "b");
    var c = index.admitEvictingIdle("c", 30, 95).orElseThrow();
    assertThat(c.evicted()).containsExactly("a");
    index.abort(c);
    // b was used 90 ms ago: it goes only to an admission that asks for 90 ms or less.
    assertThat(index.admitEvictingIdle("d", 70, 95)).isEmpty();
    assertThat(index.admitEvictingIdle("d", 70, 90).orElseThrow().evicted()).containsExactly("b");
  }

  @Test
  void inFlightAdmissionsCountAgainstTheCapacity() {
    var first = index.admit("a", 70).orElseThrow();
    assertThat(index.admit("b", 40)).as("a is in flight and pinned").isEmpty();
    index.abort(first);
    assertThat(index.usedBytes()).isZero();
    assertThat(index.admit("b", 40)).isPresent();
  }

  @Test
  void aSnapshotLargerThanTheCacheIsNotAdmitted() {
    put("a", 10);
    assertThat(index.admit("huge", 101)).isEmpty();
    assertThat(index.revisions()).containsExactly("a");
  }

  @Test
  void aCommitLargerThanItsEstimateEvictsMoreOrIsDropped() {
    put("a", 30);
    var b = index.admit("b", 50).orElseThrow();
    var committed = index.commit(b, 80).orElseThrow();
    assertThat(committed.evicted()).containsExactly("a");
    assertThat(index.usedBytes()).isEqualTo(80);
    var c = index.admit("c", 20).orElseThrow(); // b is still pinned by the commit's lease
    assertThat(index.commit(c, 30)).isEmpty();
    assertThat(index.revisions()).containsExactly("b");
    assertThat(index.usedBytes()).isEqualTo(80);
  }

  @Test
  void evictsNothingWhenEvictingEverythingAllowedWouldNotSuffice() {
    put("a", 30);
    put("b", 30);
    var lease = index.acquire("b").orElseThrow();
    assertThat(index.admit("c", 80)).isEmpty();
    assertThat(index.revisions()).containsExactly("a", "b");
    index.release(lease);
  }

  @Test
  void recoveryBeyondASmallerCapacityEvictsTheOldest() {
    assertThat(index.recover("old", 60, 1)).isEmpty();
    assertThat(index.recover("new", 60, 2)).containsExactly("old");
    assertThat(index.revisions()).containsExactly("new");
  }

  @Test
  void aRevisionIsAdmittedOnceAtATime() {
    index.admit("a", 10).orElseThrow();
    assertThatThrownBy(() -> index.admit("a", 10)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void removeRefusesEntriesInUse() {
    put("a", 10);
    var lease = index.acquire("a").orElseThrow();
    assertThat(index.remove("a")).isFalse();
    index.release(lease);
    assertThat(index.remove("a")).isTrue();
    assertThat(index.usedBytes()).isZero();
  }
}
