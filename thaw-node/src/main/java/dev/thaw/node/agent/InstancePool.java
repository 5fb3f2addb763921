package dev.thaw.node.agent;

import dev.thaw.core.function.Revision;
import dev.thaw.core.vmm.MicroVm;
import dev.thaw.node.protocol.InstanceInfo;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import java.util.function.ToLongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's instances: every live one, the idle ones of each revision (most recently used first),
 * and the count of slots taken against the node's capacity — which includes instances still
 * starting or being snapshotted, not yet (or no longer) live.
 */
final class InstancePool {
  private static final Logger log = LoggerFactory.getLogger(InstancePool.class);

  private final String node;
  private final int capacity;
  private final LongSupplier ticker;
  private final Map<Revision, Deque<Instance>> idle = new ConcurrentHashMap<>();
  private final Map<String, Instance> live = new ConcurrentHashMap<>();
  private final AtomicInteger slots = new AtomicInteger();
  private final AtomicInteger sequence = new AtomicInteger();

  /** One instance of a revision. */
  static final class Instance {
    final String id;
    final Revision revision;
    final MicroVm vm;
    final boolean needsSnapshot;
    volatile long lastUsed;
    volatile boolean busy;
    volatile long busySince;

    Instance(String id, Revision revision, MicroVm vm, boolean needsSnapshot, long now) {
      this.id = id;
      this.revision = revision;
      this.vm = vm;
      this.needsSnapshot = needsSnapshot;
      this.lastUsed = now;
    }
  }

  InstancePool(String node, int capacity, LongSupplier ticker) {
    this.node = node;
    this.capacity = capacity;
    this.ticker = ticker;
  }

  /**
   * Takes a slot for a new instance. At capacity, the least recently used idle instance (of any
   * revision) is stopped to make room.
   *
   * @return false when every slot is held by a busy instance
   */
  boolean takeSlot() {
    while (slots.incrementAndGet() > capacity) {
      slots.decrementAndGet();
      if (!stopLeastRecentlyUsedIdle()) {
        return false;
      }
    }
    return true;
  }

  /** Gives back a slot whose instance never came to be (a failed start) or was handed away. */
  void releaseSlot() {
    slots.decrementAndGet();
  }

  /** A started instance, on a slot already taken, busy with its first invocation. */
  Instance register(Revision revision, MicroVm vm, boolean needsSnapshot) {
    String id = node + "-" + revision + "-" + sequence.incrementAndGet();
    Instance instance = new Instance(id, revision, vm, needsSnapshot, ticker.getAsLong());
    instance.busy = true;
    instance.busySince = instance.lastUsed;
    live.put(id, instance);
    return instance;
  }

  /** An idle instance of {@code revision}, now busy; null when there is none. */
  Instance takeIdle(Revision revision) {
    Deque<Instance> pool = idle.get(revision);
    if (pool == null) {
      return null;
    }
    synchronized (pool) {
      Instance i = pool.pollFirst();
      if (i != null) {
        i.busy = true;
        i.busySince = ticker.getAsLong();
      }
      return i;
    }
  }

  /** Puts a busy instance back as idle. */
  void returnIdle(Instance instance) {
    instance.busy = false;
    instance.lastUsed = ticker.getAsLong();
    Deque<Instance> pool = idle.computeIfAbsent(instance.revision, r -> new ArrayDeque<>());
    synchronized (pool) {
      pool.addFirst(instance);
    }
  }

  /** Takes an instance out of the pool for good, keeping its slot (a snapshot consumes it). */
  void handAway(Instance instance) {
    live.remove(instance.id);
  }

  /** Stops an instance and frees its slot. */
  void stop(Instance instance) {
    if (live.remove(instance.id) != null) {
      slots.decrementAndGet();
      instance.vm.close();
      log.info("stopped instance {}", instance.id);
    }
  }

  private boolean stopLeastRecentlyUsedIdle() {
    Instance oldest = null;
    Deque<Instance> from = null;
    for (Deque<Instance> pool : idle.values()) {
      synchronized (pool) {
        Instance last = pool.peekLast();
        if (last != null && (oldest == null || last.lastUsed < oldest.lastUsed)) {
          oldest = last;
          from = pool;
        }
      }
    }
    if (oldest == null) {
      return false;
    }
    synchronized (from) {
      if (!from.remove(oldest)) {
        return true; // taken or reaped meanwhile: look again
      }
    }
    log.info("stopping idle instance {} to make room", oldest.id);
    stop(oldest);
    return true;
  }

  /** Stops every idle instance of {@code revision}; returns how many. */
  int stopIdle(Revision revision) {
    Deque<Instance> pool = idle.get(revision);
    if (pool == null) {
      return 0;
    }
    List<Instance> stopped;
    synchronized (pool) {
      stopped = new ArrayList<>(pool);
      pool.clear();
    }
    stopped.forEach(this::stop);
    return stopped.size();
  }

  /** Stops idle instances unused for longer than their revision's window (nanoseconds). */
  void reap(ToLongFunction<Revision> windowNanos) {
    long now = ticker.getAsLong();
    for (Map.Entry<Revision, Deque<Instance>> e : idle.entrySet()) {
      Deque<Instance> pool = e.getValue();
      long window = windowNanos.applyAsLong(e.getKey());
      List<Instance> expired = new ArrayList<>();
      synchronized (pool) {
        pool.removeIf(
            i -> {
              boolean old = now - i.lastUsed > window;
              if (old) {
                expired.add(i);
              }
              return old;
            });
      }
      expired.forEach(this::stop);
    }
  }

  List<InstanceInfo> infos() {
    return live.values().stream()
        .map(i -> new InstanceInfo(i.id, i.revision.value(), i.vm.endpoint().toString(), i.busy))
        .sorted(Comparator.comparing(InstanceInfo::id))
        .toList();
  }

  /** Per revision with a live instance: how long each busy one has been busy, in milliseconds. */
  Map<Revision, List<Long>> busyMs() {
    long now = ticker.getAsLong();
    Map<Revision, List<Long>> out = new HashMap<>();
    for (Instance i : live.values()) {
      List<Long> of = out.computeIfAbsent(i.revision, r -> new ArrayList<>());
      if (i.busy) {
        of.add(TimeUnit.NANOSECONDS.toMillis(now - i.busySince));
      }
    }
    return out;
  }

  /** Idle instances of {@code revision}. */
  int idleCount(Revision revision) {
    Deque<Instance> pool = idle.get(revision);
    if (pool == null) {
      return 0;
    }
    synchronized (pool) {
      return pool.size();
    }
  }

  /** Slots taken: instances running, starting or being snapshotted. */
  int active() {
    return slots.get();
  }

  int idleCount() {
    return idle.values().stream().mapToInt(Deque::size).sum();
  }

  void stopAll() {
    live.values().forEach(this::stop);
  }
}
