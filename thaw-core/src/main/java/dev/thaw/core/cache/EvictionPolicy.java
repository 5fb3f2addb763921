package dev.thaw.core.cache;

import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * Chooses which committed, unpinned snapshot leaves the cache when space is needed. The index tells
 * the policy of every use and removal, so a policy may keep its own state; such a policy belongs to
 * one {@link CacheIndex} (the factories return a fresh one each call).
 */
public interface EvictionPolicy {
  /**
   * Picks one of {@code candidates} (never empty; all committed and unpinned) to evict. The index
   * evicts the entry returned.
   *
   * @return the chosen entry, one of {@code candidates}
   */
  CacheEntry victim(List<CacheEntry> candidates);

  /** A snapshot was committed, recovered or restored from; {@code entry} is its view now. */
  default void used(CacheEntry entry) {}

  /** A snapshot left the index (evicted, removed, or its admission aborted). */
  default void forgotten(String revision) {}

  /** Least recently used first; ties broken by revision so the choice is deterministic. */
  static EvictionPolicy leastRecentlyUsed() {
    Comparator<CacheEntry> order =
        Comparator.comparingLong(CacheEntry::lastUsedMillis).thenComparing(CacheEntry::revision);
    return candidates -> candidates.stream().min(order).orElseThrow();
  }

  /**
   * Greedy-Dual-Size-Frequency with every miss costing the same: small, often restored snapshots
   * stay. See {@link GreedyDualSizeFrequency}.
   */
  static EvictionPolicy greedyDualSizeFrequency() {
    return new GreedyDualSizeFrequency(e -> 1.0);
  }

  /** Greedy-Dual-Size-Frequency where a miss of an entry costs {@code cost} (e.g. fetch ms). */
  static EvictionPolicy greedyDualSizeFrequency(ToDoubleFunction<CacheEntry> cost) {
    return new GreedyDualSizeFrequency(cost);
  }

  /**
   * {@code lru} or {@code gdsf} (every miss costing the same), a fresh instance.
   *
   * @throws IllegalArgumentException naming the policies there are
   */
  static EvictionPolicy named(String name) {
    return switch (name == null ? "" : name.trim().toLowerCase(Locale.ROOT)) {
      case "lru" -> leastRecentlyUsed();
      case "gdsf" -> greedyDualSizeFrequency();
      default ->
          throw new IllegalArgumentException("eviction policy must be lru or gdsf: '" + name + "'");
    };
  }
}
