package dev.thaw.core.cache;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.ToDoubleFunction;

/**
 * Greedy-Dual-Size-Frequency, the keep-alive/eviction policy of FaaSCache (Fuerst and Sharma,
 * ASPLOS '21), applied to snapshots: each entry has the priority
 *
 * <pre>priority = clock + uses × cost ÷ bytes</pre>
 *
 * set when it is committed or restored from, and the entry of lowest priority is evicted. The clock
 * starts at 0 and becomes the priority of each evicted entry, so entries not used for a long time
 * age out even when they were used often once. Ties go to the least recently used, then to the
 * revision, so the choice is deterministic. Not thread-safe on its own: the index calls it under
 * its lock.
 */
final class GreedyDualSizeFrequency implements EvictionPolicy {
  private final ToDoubleFunction<CacheEntry> cost;
  private final Map<String, Double> priorities = new HashMap<>();
  private double clock;

  GreedyDualSizeFrequency(ToDoubleFunction<CacheEntry> cost) {
    this.cost = Objects.requireNonNull(cost, "cost");
  }

  @Override
  public CacheEntry victim(List<CacheEntry> candidates) {
    CacheEntry best = null;
    double bestPriority = 0;
    for (CacheEntry e : candidates) {
      double p = priorities.getOrDefault(e.revision(), clock);
      if (best == null
          || p < bestPriority
          || (p == bestPriority
              && (e.lastUsedMillis() < best.lastUsedMillis()
                  || (e.lastUsedMillis() == best.lastUsedMillis()
                      && e.revision().compareTo(best.revision()) < 0)))) {
        best = e;
        bestPriority = p;
      }
    }
    clock = Math.max(clock, bestPriority);
    return Objects.requireNonNull(best, "no candidates");
  }

  @Override
  public void used(CacheEntry entry) {
    double size = Math.max(1, entry.bytes());
    priorities.put(
        entry.revision(), clock + Math.max(1, entry.uses()) * cost.applyAsDouble(entry) / size);
  }

  @Override
  public void forgotten(String revision) {
    priorities.remove(revision);
  }

  /** The current clock (the priority of the last evicted entry), for tests. */
  double clock() {
    return clock;
  }
}
