package dev.thaw.node.agent;

/**
 * What came of a node's prefetches so far.
 *
 * @param made snapshots fetched ahead into the cache
 * @param used those a cold start then restored
 * @param wasted those evicted before any cold start used them
 */
public record PrefetchCounts(long made, long used, long wasted) {}
