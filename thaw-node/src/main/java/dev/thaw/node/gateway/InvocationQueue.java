package dev.thaw.node.gateway;

import dev.thaw.core.function.Revision;
import dev.thaw.node.protocol.Refused;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Invocations that no node could take at once, waiting per revision, as Knative's activator buffers
 * a burst: each is retried as soon as {@link #wake()} says an instance may be free, and every
 * {@link #RETRY} meanwhile, until it is served, its revision's queue is full, or it has waited
 * longer than the timeout. Meters: {@code thaw.gateway.queue.length}, {@code .wait}, {@code
 * .rejections}, {@code .timeouts}.
 */
final class InvocationQueue {
  /** How often a queued invocation retries when nothing wakes it sooner. */
  static final Duration RETRY = Duration.ofMillis(100);

  private final int length;
  private final Duration timeout;
  private final Map<Revision, Waiters> queues = new ConcurrentHashMap<>();
  private final AtomicInteger queued = new AtomicInteger();
  private final Timer waited;
  private final Counter rejections;
  private final Counter timeouts;

  InvocationQueue(int length, Duration timeout, MeterRegistry meters) {
    this.length = length;
    this.timeout = timeout;
    meters.gauge("thaw.gateway.queue.length", queued);
    this.waited = meters.timer("thaw.gateway.queue.wait");
    this.rejections = meters.counter("thaw.gateway.queue.rejections");
    this.timeouts = meters.counter("thaw.gateway.queue.timeouts");
  }

  /** Whether invocations may wait at all (a queue length of zero: none do). */
  boolean enabled() {
    return length > 0;
  }

  /**
   * Waits in {@code revision}'s queue, retrying {@code attempt} (which throws NO_CAPACITY while no
   * node can take it) until it returns.
   *
   * @param since when the invocation arrived ({@link System#nanoTime()}): the timeout counts from
   *     there
   * @throws Refused NO_CAPACITY when the queue is full or the timeout passed; whatever else {@code
   *     attempt} throws
   */
  <T> T await(Revision revision, long since, Supplier<T> attempt) {
    Waiters w = queues.computeIfAbsent(revision, r -> new Waiters());
    if (w.count.incrementAndGet() > length) {
      w.count.decrementAndGet();
      rejections.increment();
      throw new Refused(
          Refused.Kind.NO_CAPACITY,
          "every node is busy and the queue of " + revision + " is full (" + length + ")",
          null);
    }
    queued.incrementAndGet();
    try {
      long deadline = since + timeout.toNanos();
      while (true) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          timeouts.increment();
          throw new Refused(
              Refused.Kind.NO_CAPACITY,
              "no node could take "
                  + revision
                  + " within the queue timeout of "
                  + timeout.toMillis()
                  + " ms",
              null);
        }
        w.await(Math.min(RETRY.toNanos(), left));
        try {
          return attempt.get();
        } catch (Refused e) {
          if (e.kind() != Refused.Kind.NO_CAPACITY) {
            throw e;
          }
        }
      }
    } finally {
      w.count.decrementAndGet();
      queued.decrementAndGet();
      waited.record(Duration.ofNanos(System.nanoTime() - since));
    }
  }

  /** Invocations of {@code revision} waiting now. */
  int waiting(Revision revision) {
    Waiters w = queues.get(revision);
    return w == null ? 0 : w.count.get();
  }

  /** An instance may be free now (an invocation finished): every waiter retries. */
  void wake() {
    queues.values().forEach(Waiters::wake);
  }

  /** Those waiting for one revision, and the signal that a retry may now succeed. */
  private static final class Waiters {
    final AtomicInteger count = new AtomicInteger();

    synchronized void await(long nanos) {
      try {
        TimeUnit.NANOSECONDS.timedWait(this, nanos);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new Refused(Refused.Kind.NO_CAPACITY, "interrupted while queued", e);
      }
    }

    synchronized void wake() {
      notifyAll();
    }
  }
}
