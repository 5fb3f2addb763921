package dev.thaw.core.cache;

import java.util.Comparator;
import java.util.List;

/** Chooses which committed, unpinned snapshot leaves the cache when space is needed. */
public interface EvictionPolicy {
  /**
   * Picks one of {@code candidates} (never empty; all committed and unpinned) to evict.
   *
   * @return the chosen entry, one of {@code candidates}
   */
  CacheEntry victim(List<CacheEntry> candidates);

  /** Least recently used first; ties broken by revision so the choice is deterministic. */
  static EvictionPolicy leastRecentlyUsed() {
    Comparator<CacheEntry> order =
        Comparator.comparingLong(CacheEntry::lastUsedMillis).thenComparing(CacheEntry::revision);
    return candidates -> candidates.stream().min(order).orElseThrow();
  }
}
