package dev.thaw.qemu;

import dev.thaw.core.concurrent.DaemonThreads;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Up to {@code size} started VMMs waiting for a restore, refilled in the background: a restore
 * {@link #take}s one of its shape (the VM's vCPUs, fixed when QEMU starts) instead of starting a
 * process, and asks for a {@link #refill} once its guest has answered; the refill waits {@code
 * refillDelay} more, for the function's first answer, so that the start of the next VMM takes no
 * core from the cold start. It waits for quiet: no VMM starts while a restore is under way ({@link
 * #restoring}) or before {@code refillDelay} has passed since the last refill was asked for, so
 * that restores following each other (a round of cold starts) take from the pool one after the
 * other, and the pool fills again in the pause after them. What it guarantees:
 *
 * <ul>
 *   <li>no start begins while a restore is under way, nor within {@code refillDelay} of the last
 *       refill asked for;
 *   <li>idle slots plus slots being started never exceed {@code size};
 *   <li>a slot whose process died while it waited is closed, never handed out;
 *   <li>after {@link #close()} every idle slot is closed, and a slot whose start was under way is
 *       closed as soon as it is started: no process outlives the pool;
 *   <li>a failed start stops the refill until the next {@link #refill} (no loop of failing starts);
 *   <li>the {@link #quietWork} given runs on the pool's thread, in the same quiet as the starts.
 * </ul>
 *
 * <p>The pool fills for the shape last asked for (one vCPU at first). A take that finds no slot of
 * its shape while the pool is full closes the oldest idle slot, so that the refill can start one of
 * the shape now asked for.
 *
 * @param <S> a started VMM
 */
final class VmmPool<S extends VmmPool.Slot> implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(VmmPool.class);

  /** A started VMM of one shape. */
  interface Slot {
    /** The vCPUs it was started with. */
    int vcpus();

    boolean isAlive();

    /** Stops its process and removes what it made. */
    void close();
  }

  /**
   * Work done in the pool's quiet before it starts slots, one unit at a time, such as staging a
   * restore on an idle slot ({@link StagedRestores}).
   */
  @FunctionalInterface
  interface QuietWork {
    /** Does one unit of work; whether there was one (false: nothing to do now). */
    boolean runOne();
  }

  /** Starts one slot with {@code vcpus}. */
  @FunctionalInterface
  interface Starter<S> {
    S start(int vcpus) throws Exception;
  }

  private final int size;
  private final Starter<S> starter;
  private final Duration refillDelay;
  private final ScheduledExecutorService refills =
      Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("thaw-vmm-pool"));
  private final Deque<S> idle = new ArrayDeque<>();
  private int starting;
  private int wanted = 1;
  private boolean closed;
  private volatile QuietWork quietWork = () -> false;
  private volatile Optional<HostQuiet> host = Optional.empty();

  /** Whether a fill is scheduled to look again for the host's quiet (one at a time). */
  private boolean hostRetry;

  /** Restores under way ({@link #restoring}). */
  private int busy;

  /** When (on {@link System#nanoTime}) a start may begin at the earliest: quiet until then. */
  private long quietFrom = System.nanoTime();

  /** A restore under way; its end asks for a refill. */
  @FunctionalInterface
  interface Restoring extends AutoCloseable {
    @Override
    void close();
  }

  /**
   * A pool of {@code size} slots (at least 1) that starts filling at once, and refills {@code
   * refillDelay} after it is asked to.
   */
  VmmPool(int size, Starter<S> starter, Duration refillDelay) {
    if (size < 1) {
      throw new IllegalArgumentException("a VMM pool holds 1 slot or more: " + size);
    }
    this.size = size;
    this.starter = starter;
    this.refillDelay = refillDelay;
    schedule(Duration.ZERO);
  }

  /** A pool that refills as soon as it is asked to. */
  VmmPool(int size, Starter<S> starter) {
    this(size, starter, Duration.ZERO);
  }

  int size() {
    return size;
  }

  /**
   * A live idle slot started with {@code vcpus}, now the caller's; empty when none is idle. The
   * pool does not refill until asked ({@link #refill}).
   */
  Optional<S> take(int vcpus) {
    List<S> discarded = new ArrayList<>();
    Optional<S> found = Optional.empty();
    synchronized (this) {
      if (closed) {
        return Optional.empty();
      }
      wanted = vcpus;
      for (Iterator<S> it = idle.iterator(); it.hasNext() && found.isEmpty(); ) {
        S s = it.next();
        if (!s.isAlive()) {
          it.remove();
          discarded.add(s);
        } else if (s.vcpus() == vcpus) {
          it.remove();
          found = Optional.of(s);
        }
      }
      if (found.isEmpty() && !idle.isEmpty() && idle.size() + starting >= size) {
        discarded.add(idle.pollFirst());
      }
    }
    for (S s : discarded) {
      log.debug("VMM pool: closing {} ({})", s, s.isAlive() ? "another shape" : "dead");
      s.close();
    }
    return found;
  }

  /**
   * Has {@code work} done in the pool's quiet from now on: in each fill, before slots are started,
   * and every {@code period}, when no slot is started.
   */
  void quietWork(QuietWork work, Duration period) {
    this.quietWork = work;
    try {
      refills.scheduleWithFixedDelay(
          this::quietOnly, period.toNanos(), period.toNanos(), TimeUnit.NANOSECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // Closed meanwhile.
    }
  }

  /**
   * Waits also for the quiet of every agent of the host ({@link HostQuiet}) before starting slots
   * or doing its quiet work, and marks its own restores there.
   */
  void hostQuiet(HostQuiet quiet) {
    this.host = Optional.of(quiet);
  }

  /** Whether a live slot started with {@code vcpus} is idle now. */
  synchronized boolean hasIdle(int vcpus) {
    return idle.stream().anyMatch(s -> s.vcpus() == vcpus && s.isAlive());
  }

  /** Slots idle now (live or not: a dead one is found out when taken). */
  synchronized int idle() {
    return idle.size();
  }

  /** Waits up to {@code timeout} for {@code size} idle slots; whether they are there. */
  synchronized boolean awaitFull(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (idle.size() < size && !closed) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
    return idle.size() >= size;
  }

  /**
   * A restore begins: no VMM starts until it and every other under way have ended ({@link
   * Restoring#close}, which asks for a refill).
   */
  Restoring restoring() {
    synchronized (this) {
      busy++;
    }
    Restoring onHost = host.map(HostQuiet::restoring).orElse(() -> {});
    AtomicBoolean ended = new AtomicBoolean();
    return () -> {
      if (ended.getAndSet(true)) {
        return;
      }
      onHost.close();
      synchronized (this) {
        busy--;
      }
      refill();
    };
  }

  /**
   * Starts VMMs in the background, after the refill delay, until the pool is full (or a start
   * fails); a refill asked for again meanwhile, or a restore under way, puts it off.
   */
  void refill() {
    synchronized (this) {
      quietFrom = System.nanoTime() + refillDelay.toNanos();
    }
    schedule(refillDelay);
  }

  private void schedule(Duration delay) {
    try {
      refills.schedule(this::fill, delay.toNanos(), TimeUnit.NANOSECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // Closed meanwhile: nothing to fill.
    }
  }

  /** In quiet: does the {@link #quietWork} there is, and starts no slot. */
  private void quietOnly() {
    while (quiet(this::quietOnly) && runQuietWork()) {
      // one unit at a time, the quiet checked before each
    }
  }

  /**
   * Whether this pool may work now: nothing restoring here, the refill delay passed, and the host
   * quiet too. When only the host is busy, {@code again} is scheduled for when it may be quiet (no
   * restore of another agent's ends with a refill of this pool).
   */
  private boolean quiet(Runnable again) {
    synchronized (this) {
      if (closed || busy > 0 || System.nanoTime() - quietFrom < 0) {
        return false;
      }
    }
    Optional<Duration> busyFor = host.flatMap(h -> h.busyFor(refillDelay));
    if (busyFor.isEmpty()) {
      return true;
    }
    synchronized (this) {
      if (hostRetry) {
        return false;
      }
      hostRetry = true;
    }
    try {
      refills.schedule(
          () -> {
            synchronized (this) {
              hostRetry = false;
            }
            again.run();
          },
          Math.max(busyFor.get().toNanos(), TimeUnit.MILLISECONDS.toNanos(20)),
          TimeUnit.NANOSECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // Closed meanwhile.
    }
    return false;
  }

  private boolean runQuietWork() {
    try {
      return quietWork.runOne();
    } catch (RuntimeException e) {
      log.warn("VMM pool: work in quiet failed: {}", e.toString());
      return false;
    }
  }

  /**
   * In quiet: does the {@link #quietWork} there is, and starts slots until the pool is full; stops
   * at the first failed start.
   */
  private void fill() {
    while (true) {
      if (!quiet(this::fill)) {
        return;
      }
      if (runQuietWork()) {
        continue;
      }
      int vcpus;
      synchronized (this) {
        if (closed || idle.size() + starting >= size) {
          return;
        }
        if (busy > 0 || System.nanoTime() - quietFrom < 0) {
          return; // the restore's end, or the later refill, schedules this again
        }
        starting++;
        vcpus = wanted;
      }
      S s;
      try {
        s = starter.start(vcpus);
      } catch (Exception e) {
        synchronized (this) {
          starting--;
        }
        log.warn("VMM pool: cannot start a VMM ({}); refilling on the next refill", e.getMessage());
        return;
      }
      boolean keep;
      synchronized (this) {
        starting--;
        keep = !closed;
        if (keep) {
          idle.addLast(s);
          notifyAll();
        }
      }
      if (!keep) {
        s.close();
      }
    }
  }

  /** Closes every idle slot and any being started; waits up to 10 s for a start under way. */
  @Override
  public void close() {
    List<S> all;
    synchronized (this) {
      closed = true;
      all = new ArrayList<>(idle);
      idle.clear();
      notifyAll();
    }
    all.forEach(Slot::close);
    refills.shutdown();
    try {
      refills.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
