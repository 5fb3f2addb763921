package dev.thaw.node.agent;

import dev.thaw.core.function.Revision;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The clones this node is making (after a boot answers: snapshot, restore, verify, until the clone
 * joins the pool), and the invocations waiting for them instead of starting an instance of their
 * own. This is the only place an agent holds an invocation: a wait for a busy instance happens in
 * the gateway's queue, never here.
 */
final class CloneWaits {
  private final LongSupplier ticker;
  private final Map<Revision, List<Long>> started = new HashMap<>();
  private final Map<Revision, Integer> waiting = new HashMap<>();

  /**
   * @param ticker monotonic nanoseconds: how long each clone has been in the making
   */
  CloneWaits(LongSupplier ticker) {
    this.ticker = ticker;
  }

  /** A clone of {@code revision} is being made; returns its token for {@link #end}. */
  synchronized long begin(Revision revision) {
    long token = ticker.getAsLong();
    started.computeIfAbsent(revision, r -> new ArrayList<>()).add(token);
    return token;
  }

  /** The clone of {@link #begin}'s token is done (in the pool) or failed: waiters look again. */
  synchronized void end(Revision revision, long token) {
    List<Long> clones = started.get(revision);
    if (clones != null) {
      clones.remove(Long.valueOf(token));
      if (clones.isEmpty()) {
        started.remove(revision);
      }
    }
    notifyAll();
  }

  /** An instance went back to the pool: waiters look again. */
  synchronized void signal() {
    notifyAll();
  }

  /** How long each clone of {@code revision} has been in the making, in milliseconds. */
  synchronized List<Long> elapsedMs(Revision revision) {
    long now = ticker.getAsLong();
    return started.getOrDefault(revision, List.of()).stream()
        .map(t -> TimeUnit.NANOSECONDS.toMillis(now - t))
        .toList();
  }

  /** Invocations of {@code revision} waiting for a clone. */
  synchronized int waiting(Revision revision) {
    return waiting.getOrDefault(revision, 0);
  }

  /** Revisions with a clone in the making. */
  synchronized List<Revision> making() {
    return List.copyOf(started.keySet());
  }

  /**
   * Waits up to {@code bound} for {@code take} to give an instance of {@code revision}, looking
   * whenever a clone ends or an instance is returned; gives up at once when no clone of it is being
   * made any more (the clone failed, or another invocation took it).
   *
   * @return the instance, or null when none came
   */
  synchronized <T> T await(Revision revision, Duration bound, Supplier<T> take) {
    waiting.merge(revision, 1, Integer::sum);
    try {
      long deadline = System.nanoTime() + bound.toNanos();
      while (true) {
        T got = take.get();
        if (got != null) {
          return got;
        }
        long left = deadline - System.nanoTime();
        if (!started.containsKey(revision) || left <= 0) {
          return null;
        }
        TimeUnit.NANOSECONDS.timedWait(this, left);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    } finally {
      waiting.merge(revision, -1, Integer::sum);
      waiting.remove(revision, 0);
    }
  }
}
