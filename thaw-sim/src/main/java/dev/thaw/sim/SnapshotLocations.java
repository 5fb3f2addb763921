package dev.thaw.sim;

import dev.thaw.core.cache.CacheIndex;
import dev.thaw.core.cache.EvictionPolicy;
import dev.thaw.core.snapshot.SnapshotMode;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * Where each function's snapshot is: in which nodes' caches, and whether remote storage has it.
 * Each node's cache is thaw-core's own {@link CacheIndex} with the configured {@link
 * EvictionPolicy} on the simulation's clock, which decides admissions and evictions; this class
 * follows them with a reverse index, the nodes caching each function, so that placement visits
 * those nodes instead of every node. A function's cache key is {@code "f"} and its index.
 */
final class SnapshotLocations {
  /** Where a cold start gets its instance from. */
  enum Source {
    /** The node's own cache. */
    LOCAL,
    /** Remote storage, fetched into the node's cache. */
    REMOTE,
    /** No snapshot: a boot. */
    BOOT
  }

  private final SimConfig c;
  private final String[] revision;
  private final long[] cacheBytes;
  private final CacheIndex[] caches;
  private final int[][] cachedOn;
  private final int[] cachedCount;
  private final boolean[] inRemote;

  SnapshotLocations(Workload w, SimConfig c, SimModel m, LongSupplier clock) {
    this.c = c;
    int f = w.functions;
    revision = new String[f];
    cacheBytes = new long[f];
    for (int i = 0; i < f; i++) {
      revision[i] = "f" + i;
      cacheBytes[i] = m.cacheBytes(w.guestBytes[i]);
    }
    cachedOn = new int[f][];
    cachedCount = new int[f];
    inRemote = new boolean[f];
    caches = new CacheIndex[c.nodes()];
    for (int i = 0; i < caches.length; i++) {
      EvictionPolicy policy =
          c.eviction().equals("gdsf")
              ? EvictionPolicy.greedyDualSizeFrequency(
                  e -> m.missCostMs((long) (e.bytes() / m.cacheBytesPerGuestByte())))
              : EvictionPolicy.named(c.eviction());
      caches[i] =
          CacheIndex.builder()
              .capacityBytes(c.cacheBytesPerNode())
              .clock(clock)
              .policy(policy)
              .build();
    }
  }

  /**
   * Where a cold start of {@code f} on {@code node} restores from, as the snapshot mode allows; a
   * local restore counts as a use of the cache entry, a remote one admits the snapshot into the
   * node's cache.
   */
  Source startOf(int f, int node) {
    if (c.mode() == SnapshotMode.DISABLED) {
      return Source.BOOT;
    }
    Optional<CacheIndex.Lease> lease = caches[node].acquire(revision[f]);
    if (lease.isPresent()) {
      caches[node].release(lease.get());
      return Source.LOCAL;
    }
    if (c.mode() == SnapshotMode.REMOTE && inRemote[f]) {
      cache(f, node);
      return Source.REMOTE;
    }
    return Source.BOOT;
  }

  /** Whether {@code node}'s cache holds {@code f}'s snapshot. */
  boolean cachedOn(int node, int f) {
    return caches[node].contains(revision[f]);
  }

  /** How many nodes cache {@code f}'s snapshot. */
  int cachingCount(int f) {
    return cachedCount[f];
  }

  /** The {@code k}-th of them, {@code k < cachingCount(f)}, in no particular order. */
  int cachingNode(int f, int k) {
    return cachedOn[f][k];
  }

  boolean inRemote(int f) {
    return inRemote[f];
  }

  /**
   * {@code f}'s snapshot, made on {@code node}, is committed to its cache and (remote) uploaded.
   */
  void snapshotted(int f, int node) {
    cache(f, node);
    if (c.mode() == SnapshotMode.REMOTE) {
      inRemote[f] = true;
    }
  }

  /** Admits and commits {@code f}'s snapshot into {@code node}'s cache, if it fits. */
  void cache(int f, int node) {
    CacheIndex cache = caches[node];
    if (cache.contains(revision[f])) {
      return;
    }
    Optional<CacheIndex.Admission> admission = cache.admit(revision[f], cacheBytes[f]);
    if (admission.isEmpty()) {
      return; // larger than the cache, or pinned entries leave no room: not cached
    }
    evicted(admission.get().evicted(), node);
    Optional<CacheIndex.Committed> committed = cache.commit(admission.get(), cacheBytes[f]);
    if (committed.isPresent()) {
      cache.release(committed.get().lease());
      evicted(committed.get().evicted(), node);
      addCached(f, node);
    }
  }

  private void evicted(List<String> revisions, int node) {
    for (String r : revisions) {
      int f = Integer.parseInt(r, 1, r.length(), 10);
      int[] on = cachedOn[f];
      for (int k = 0; k < cachedCount[f]; k++) {
        if (on[k] == node) {
          on[k] = on[--cachedCount[f]];
          break;
        }
      }
    }
  }

  private void addCached(int f, int node) {
    int[] on = cachedOn[f];
    if (on == null) {
      on = cachedOn[f] = new int[2];
    } else if (cachedCount[f] == on.length) {
      on = cachedOn[f] = Arrays.copyOf(on, on.length * 2);
    }
    on[cachedCount[f]++] = node;
  }
}
