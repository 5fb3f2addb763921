package dev.thaw.core.cache;

/**
 * What the cache index knows of one snapshot: a read-only view handed to eviction policies.
 *
 * @param revision the cache key
 * @param bytes space charged for it: the estimate while in flight, the real size once committed
 * @param lastUsedMillis last commit or restore, on the index's clock
 * @param pins restores and fetches using it now; a pinned entry is never evicted
 * @param ready committed (files complete) rather than in flight
 * @param uses its commit plus every restore from it since (0 while in flight): the frequency that
 *     frequency-aware policies weigh
 */
public record CacheEntry(
    String revision, long bytes, long lastUsedMillis, int pins, boolean ready, int uses) {}
