package dev.thaw.node.snapshot.fill;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.function.ToLongFunction;

/**
 * Which chunks a lazy fill's workers take next: a chunk a read waits for first, then the priority
 * set (the first chunks of the {@link FillOrder}), then, once {@link #letRest()} has been called,
 * the rest in order. Each chunk is handed out once. A worker with nothing to take waits here until
 * a read needs a chunk, the rest is let go, or the queue {@link #stop() stops}.
 */
final class FillQueue {
  /** Chunks a worker takes at once when no read waits. */
  static final int BATCH = 16;

  private final List<String> order;
  private final ToLongFunction<String> packOffset;
  private final Set<String> claimed = ConcurrentHashMap.newKeySet();
  private final ConcurrentLinkedDeque<String> urgent = new ConcurrentLinkedDeque<>();

  /**
   * Guards {@link #at}, {@link #priority}, {@link #rest} and {@link #stopped}; workers wait on it.
   */
  private final Object lock = new Object();

  private int at;
  private int priority;
  private boolean rest;
  private boolean stopped;

  /**
   * @param priorityChunks how many chunks of {@code order} go before the rest is let go
   * @param packOffset where a chunk lies in the pack (-1 when not), to sort each batch by
   */
  FillQueue(List<String> order, int priorityChunks, ToLongFunction<String> packOffset) {
    this.order = List.copyOf(order);
    this.priority = priorityChunks;
    this.packOffset = packOffset;
  }

  /**
   * The next chunks to fill: one a read waits for, else up to {@link #BATCH} next in order (sorted
   * by pack offset, so that neighbours come with one read); past the priority set, waits for {@link
   * #letRest()} or a read. Empty when nothing is left, the queue stopped or the thread was
   * interrupted.
   */
  List<String> next() {
    synchronized (lock) {
      while (true) {
        for (String d = urgent.poll(); d != null; d = urgent.poll()) {
          if (claimed.add(d)) {
            return List.of(d);
          }
        }
        if (stopped || at == order.size()) {
          return List.of();
        }
        int limit = rest ? order.size() : priority;
        List<String> batch = new ArrayList<>();
        while (at < limit && batch.size() < BATCH) {
          String d = order.get(at++);
          if (claimed.add(d)) {
            batch.add(d);
          }
        }
        if (!batch.isEmpty()) {
          batch.sort(Comparator.comparingLong(packOffset));
          return batch;
        }
        if (at < limit) {
          continue;
        }
        try {
          lock.wait();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt(); // the fill stops
          return List.of();
        }
      }
    }
  }

  /**
   * Moves chunk {@code sha256} to the front, for a read that waits for it.
   *
   * @return false when a worker has it already
   */
  boolean hurry(String sha256) {
    if (claimed.contains(sha256)) {
      return false;
    }
    urgent.addFirst(sha256);
    wake();
    return true;
  }

  /** Lets the workers go on past the priority set. */
  void letRest() {
    synchronized (lock) {
      rest = true;
      lock.notifyAll();
    }
  }

  /** Makes the first {@code chunks} of the order the priority set. */
  void widenPriority(int chunks) {
    synchronized (lock) {
      priority = chunks;
      lock.notifyAll();
    }
  }

  /** How many chunks of the order go before the rest is let go. */
  int priorityChunks() {
    synchronized (lock) {
      return priority;
    }
  }

  /** Hands out no more chunks but those reads still wait for: the fill failed or stopped. */
  void stop() {
    synchronized (lock) {
      stopped = true;
      lock.notifyAll();
    }
  }

  private void wake() {
    synchronized (lock) {
      lock.notifyAll();
    }
  }
}
