package dev.thaw.node.protocol;

import dev.thaw.core.cache.CacheEntry;
import dev.thaw.node.snapshot.cache.LocalSnapshotCache;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * What an agent's {@code GET /cache} reports of its local snapshot cache, and what the gateway's
 * {@code GET /caches} gathers from every node.
 *
 * @param node the node's name
 * @param capacityBytes the most the cache holds
 * @param usedBytes what its entries take now (in-flight ones at their estimate)
 * @param entries its entries, most recently used first
 */
public record CacheReport(
    String node, long capacityBytes, long usedBytes, List<CacheReport.Entry> entries) {
  public CacheReport {
    Objects.requireNonNull(node, "node");
    entries = List.copyOf(entries);
  }

  /**
   * One cached snapshot.
   *
   * @param revision whose snapshot it is
   * @param bytes space it takes (its estimate while in flight)
   * @param lastUsedMillis its last commit or restore, in milliseconds since the epoch
   * @param pins restores and fetches using it now; a pinned entry is never evicted
   * @param ready committed, rather than still being written
   * @param uses its commit and every restore from it since
   */
  public record Entry(
      String revision, long bytes, long lastUsedMillis, int pins, boolean ready, int uses) {
    public Entry {
      Objects.requireNonNull(revision, "revision");
    }
  }

  /** An agent with no snapshot cache (snapshots disabled). */
  public static CacheReport none(String node) {
    return new CacheReport(node, 0, 0, List.of());
  }

  /** {@code cache} as it stands now. */
  public static CacheReport of(String node, LocalSnapshotCache cache) {
    List<Entry> entries =
        cache.entries().stream()
            .sorted(Comparator.comparingLong(CacheEntry::lastUsedMillis).reversed())
            .map(
                e ->
                    new Entry(
                        e.revision(), e.bytes(), e.lastUsedMillis(), e.pins(), e.ready(), e.uses()))
            .toList();
    return new CacheReport(node, cache.capacityBytes(), cache.usedBytes(), entries);
  }
}
