package dev.thaw.core.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** GDSF through the index: priority = clock + uses × cost ÷ bytes, the clock aging old entries. */
class GreedyDualSizeFrequencyTest {
  private final AtomicLong now = new AtomicLong();

  private CacheIndex index(long capacity) {
    return CacheIndex.builder()
        .capacityBytes(capacity)
        .clock(now::get)
        .policy(EvictionPolicy.greedyDualSizeFrequency())
        .build();
  }

  private static void put(CacheIndex index, String revision, long bytes) {
    var admission = index.admit(revision, bytes).orElseThrow();
    index.release(index.commit(admission, bytes).orElseThrow().lease());
  }

  private static void use(CacheIndex index, String revision, int times) {
    for (int i = 0; i < times; i++) {
      index.release(index.acquire(revision).orElseThrow());
    }
  }

  @Test
  void aFrequentlyRestoredSnapshotOutlivesAMoreRecentOne() {
    CacheIndex index = index(300);
    put(index, "often", 100);
    use(index, "often", 3);
    now.set(10);
    put(index, "once", 100);
    now.set(20);
    put(index, "recent", 100);
    // LRU would evict "often" (least recently used); GDSF evicts a single-use entry.
    var admission = index.admit("new", 100).orElseThrow();
    assertThat(admission.evicted()).containsExactly("once");
  }

  @Test
  void atEqualUseTheLargerSnapshotGoesFirst() {
    CacheIndex index = index(300);
    put(index, "small", 50);
    put(index, "large", 200);
    assertThat(index.admit("new", 100).orElseThrow().evicted()).containsExactly("large");
  }

  @Test
  void theClockAgesEntriesThatWereOnlyUsedLongAgo() {
    CacheIndex index = index(200);
    put(index, "old", 100);
    use(index, "old", 1); // priority 2/100
    put(index, "a", 100); // priority 1/100
    // Each eviction raises the clock to the victim's priority; newcomers start above it.
    for (int i = 0; i < 3; i++) {
      var admission = index.admit("n" + i, 100).orElseThrow();
      index.release(index.commit(admission, 100).orElseThrow().lease());
    }
    assertThat(index.revisions()).doesNotContain("old");
  }

  @Test
  void lruStaysTheDefaultAndNamedPoliciesAreFresh() {
    assertThat(EvictionPolicy.named("gdsf")).isNotSameAs(EvictionPolicy.named("gdsf"));
    assertThat(EvictionPolicy.named("LRU")).isNotNull();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> EvictionPolicy.named("fifo"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("lru or gdsf");
  }
}
