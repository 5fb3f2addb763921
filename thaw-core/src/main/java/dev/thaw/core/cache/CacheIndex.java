package dev.thaw.core.cache;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * The accounting of a bounded snapshot cache: which revisions it holds, how many bytes each
 * occupies, which are in use, and which to evict. Pure logic with an injected clock, so it runs as
 * well on simulated time as on the node's; the disk cache applies its decisions.
 *
 * <p>Invariants, kept under one lock:
 *
 * <ul>
 *   <li>the bytes of all entries, committed and in flight, never exceed the capacity;
 *   <li>a pinned entry (being fetched or restored) is never evicted;
 *   <li>space is admitted before any byte is written, from an estimate, and corrected to the real
 *       size at commit.
 * </ul>
 */
public final class CacheIndex {
  private final long capacityBytes;
  private final LongSupplier clock;
  private final EvictionPolicy policy;
  private final Map<String, Slot> slots = new LinkedHashMap<>();
  private long usedBytes;

  private static final class Slot {
    long bytes;
    long lastUsed;
    int pins;
    int uses;
    boolean ready;

    CacheEntry view(String revision) {
      return new CacheEntry(revision, bytes, lastUsed, pins, ready, uses);
    }
  }

  /** Space granted to a snapshot about to be written; {@code evicted} must be deleted first. */
  public record Admission(String revision, long bytes, List<String> evicted) {}

  /** A pin on a committed snapshot; release it when the restore has opened its files. */
  public record Lease(String revision) {}

  private CacheIndex(Builder b) {
    this.capacityBytes = b.capacityBytes;
    this.clock = b.clock;
    this.policy = b.policy;
  }

  public static Builder builder() {
    return new Builder();
  }

  public long capacityBytes() {
    return capacityBytes;
  }

  public synchronized long usedBytes() {
    return usedBytes;
  }

  /**
   * Reserves {@code estimatedBytes} for {@code revision}, evicting as the policy says. The
   * reservation is pinned. Empty when the snapshot is larger than the whole cache or when pinned
   * entries leave no room: the caller then restores without caching.
   *
   * @throws IllegalStateException when the revision is already present (callers single-flight)
   */
  public synchronized Optional<Admission> admit(String revision, long estimatedBytes) {
    return admit(revision, estimatedBytes, Long.MAX_VALUE);
  }

  /**
   * Like {@link #admit(String, long)}, evicting only entries last used {@code idleMillis} or more
   * ago (on this index's clock): a snapshot fetched ahead of a predicted use must not push out one
   * used more recently than that use is due. Empty when those entries leave no room.
   */
  public synchronized Optional<Admission> admitEvictingIdle(
      String revision, long estimatedBytes, long idleMillis) {
    if (idleMillis < 0) {
      throw new IllegalArgumentException("negative idle time: " + idleMillis);
    }
    return admit(revision, estimatedBytes, clock.getAsLong() - idleMillis);
  }

  /** An admission that may evict entries last used at or before {@code usedBy}. */
  private Optional<Admission> admit(String revision, long estimatedBytes, long usedBy) {
    Objects.requireNonNull(revision, "revision");
    if (estimatedBytes < 0) {
      throw new IllegalArgumentException("negative size: " + estimatedBytes);
    }
    if (slots.containsKey(revision)) {
      throw new IllegalStateException("revision already cached or in flight: " + revision);
    }
    if (estimatedBytes > capacityBytes) {
      return Optional.empty();
    }
    Optional<List<String>> evicted = makeRoom(estimatedBytes, usedBy);
    if (evicted.isEmpty()) {
      return Optional.empty();
    }
    Slot s = new Slot();
    s.bytes = estimatedBytes;
    s.lastUsed = clock.getAsLong();
    s.pins = 1;
    slots.put(revision, s);
    usedBytes += estimatedBytes;
    return Optional.of(new Admission(revision, estimatedBytes, evicted.get()));
  }

  /**
   * Marks an admitted snapshot complete at its real size, keeping the admission's pin as a lease
   * for the restore that follows. When the real size exceeds the estimate, more entries may be
   * evicted; if even that cannot make room the entry is dropped and the result is empty.
   *
   * @return the lease and any further revisions evicted to make room
   */
  public synchronized Optional<Committed> commit(Admission admission, long actualBytes) {
    Slot s = slots.get(admission.revision());
    if (s == null || s.ready) {
      throw new IllegalStateException("no admission in flight for " + admission.revision());
    }
    long extra = actualBytes - s.bytes;
    List<String> evicted = List.of();
    if (extra > 0) {
      Optional<List<String>> room = makeRoom(extra, Long.MAX_VALUE);
      if (room.isEmpty()) {
        abort(admission);
        return Optional.empty();
      }
      evicted = room.get();
    }
    usedBytes += extra;
    s.bytes = actualBytes;
    s.ready = true;
    s.lastUsed = clock.getAsLong();
    s.uses = 1;
    policy.used(s.view(admission.revision()));
    return Optional.of(new Committed(new Lease(admission.revision()), evicted));
  }

  /** Result of a commit: the restore's lease and revisions evicted to fit the real size. */
  public record Committed(Lease lease, List<String> evicted) {}

  /** Gives back an admission whose write failed; its bytes are free again. */
  public synchronized void abort(Admission admission) {
    Slot s = slots.get(admission.revision());
    if (s != null && !s.ready) {
      slots.remove(admission.revision());
      usedBytes -= s.bytes;
      policy.forgotten(admission.revision());
    }
  }

  /** Pins a committed snapshot for a restore and marks it used now. */
  public synchronized Optional<Lease> acquire(String revision) {
    Optional<Lease> lease = pin(revision);
    if (lease.isPresent()) {
      Slot s = slots.get(revision);
      s.lastUsed = clock.getAsLong();
      s.uses++;
      policy.used(s.view(revision));
    }
    return lease;
  }

  /** Whether a committed snapshot of {@code revision} is here (no pin, no use recorded). */
  public synchronized boolean contains(String revision) {
    Slot s = slots.get(revision);
    return s != null && s.ready;
  }

  /** Pins a committed snapshot without marking it used (while its files are checked). */
  public synchronized Optional<Lease> pin(String revision) {
    Slot s = slots.get(revision);
    if (s == null || !s.ready) {
      return Optional.empty();
    }
    s.pins++;
    return Optional.of(new Lease(revision));
  }

  public synchronized void release(Lease lease) {
    Slot s = slots.get(lease.revision());
    if (s == null || s.pins == 0) {
      throw new IllegalStateException("lease not held: " + lease.revision());
    }
    s.pins--;
  }

  /**
   * Registers a snapshot found on disk at start. Entries beyond the capacity (a smaller capacity
   * than last time) are evicted by the policy.
   *
   * @return revisions to delete from disk
   */
  public synchronized List<String> recover(String revision, long bytes, long lastUsedMillis) {
    if (slots.containsKey(revision)) {
      throw new IllegalStateException("revision recovered twice: " + revision);
    }
    if (bytes > capacityBytes) {
      return List.of(revision);
    }
    List<String> evicted = makeRoom(bytes, Long.MAX_VALUE).orElseThrow();
    Slot s = new Slot();
    s.bytes = bytes;
    s.lastUsed = lastUsedMillis;
    s.ready = true;
    s.uses = 1;
    slots.put(revision, s);
    usedBytes += bytes;
    policy.used(s.view(revision));
    return evicted;
  }

  /** Removes an unpinned committed snapshot on request; false if absent or in use. */
  public synchronized boolean remove(String revision) {
    Slot s = slots.get(revision);
    if (s == null || !s.ready || s.pins > 0) {
      return false;
    }
    slots.remove(revision);
    usedBytes -= s.bytes;
    policy.forgotten(revision);
    return true;
  }

  /** Committed revisions: what this node can restore without fetching. */
  public synchronized List<String> revisions() {
    List<String> out = new ArrayList<>();
    slots.forEach(
        (r, s) -> {
          if (s.ready) {
            out.add(r);
          }
        });
    Collections.sort(out);
    return out;
  }

  /** All entries, committed and in flight. */
  public synchronized List<CacheEntry> entries() {
    List<CacheEntry> out = new ArrayList<>();
    slots.forEach((r, s) -> out.add(s.view(r)));
    return out;
  }

  /**
   * Evicts until {@code bytes} more fit, or evicts nothing and returns empty when even evicting
   * every unpinned committed entry last used by {@code usedBy} would not make room.
   */
  private Optional<List<String>> makeRoom(long bytes, long usedBy) {
    long evictable = 0;
    for (Slot s : slots.values()) {
      if (evictable(s, usedBy)) {
        evictable += s.bytes;
      }
    }
    if (usedBytes - evictable + bytes > capacityBytes) {
      return Optional.empty();
    }
    List<String> evicted = new ArrayList<>();
    while (usedBytes + bytes > capacityBytes) {
      List<CacheEntry> candidates = new ArrayList<>();
      slots.forEach(
          (r, s) -> {
            if (evictable(s, usedBy)) {
              candidates.add(s.view(r));
            }
          });
      CacheEntry victim = policy.victim(candidates);
      Slot s = slots.remove(victim.revision());
      usedBytes -= s.bytes;
      policy.forgotten(victim.revision());
      evicted.add(victim.revision());
    }
    return Optional.of(evicted);
  }

  private static boolean evictable(Slot s, long usedBy) {
    return s.ready && s.pins == 0 && s.lastUsed <= usedBy;
  }

  /** Builder; defaults: 10 GiB, wall-clock millis, least recently used. */
  public static final class Builder {
    private long capacityBytes = 10L << 30;
    private LongSupplier clock = System::currentTimeMillis;
    private EvictionPolicy policy = EvictionPolicy.leastRecentlyUsed();

    private Builder() {}

    public Builder capacityBytes(long capacityBytes) {
      if (capacityBytes <= 0) {
        throw new IllegalArgumentException("capacity must be positive: " + capacityBytes);
      }
      this.capacityBytes = capacityBytes;
      return this;
    }

    public Builder clock(LongSupplier clock) {
      this.clock = Objects.requireNonNull(clock);
      return this;
    }

    /** The eviction policy; a stateful one (GDSF) belongs to this index alone. */
    public Builder policy(EvictionPolicy policy) {
      this.policy = Objects.requireNonNull(policy);
      return this;
    }

    public CacheIndex build() {
      return new CacheIndex(this);
    }
  }
}
