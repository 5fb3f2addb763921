package dev.thaw.core.cache;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Keeps every node's latest advertisement in memory: placement on one machine reads it. */
public final class InMemoryCacheAdvertiser {
  private final Map<String, Set<String>> byNode = new ConcurrentHashMap<>();

  /** The advertiser for one node. */
  public CacheAdvertiser forNode(String node) {
    return revisions -> byNode.put(node, Set.copyOf(revisions));
  }

  /** What {@code node} last announced; empty if nothing. */
  public Set<String> revisions(String node) {
    return byNode.getOrDefault(node, Set.of());
  }
}
