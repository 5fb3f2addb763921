package dev.thaw.node.agent;

import dev.thaw.core.concurrent.DaemonThreads;
import dev.thaw.core.function.Revision;
import dev.thaw.node.snapshot.ColdStart;
import dev.thaw.node.snapshot.SnapshotManager;
import dev.thaw.node.snapshot.restore.Prefetch;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import java.util.function.ToIntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fetches snapshots into this node's cache ahead of the cold starts its {@link PrefetchPlan}
 * predicts ({@code thaw agent --prefetch predicted}). The node predicts from its own arrivals: they
 * are the ones whose cold starts it serves, and a snapshot it fetched is advertised with its cache,
 * which steers placement's cold start of that revision here.
 *
 * <p>Bounded whatever the invocations: one pending prediction per deployed revision (a later
 * arrival replaces it), one fetch at a time on the node (one thread, stopped with the agent), and
 * the cache's own bound, room made only of entries idle since before the predicted arrival became
 * likely ({@link PrefetchPlan}). A function can only make itself invoked; what that buys it is its
 * own snapshot kept cached, which its invocations would do anyway.
 */
final class Prefetcher implements Prefetches {
  private static final Logger log = LoggerFactory.getLogger(Prefetcher.class);

  /** The lead before a fetch was ever measured here. */
  static final long PRIOR_LEAD_MS = 1_000;

  private static final int KEPT = 15;

  private final PrefetchPlan plan;
  private final PrefetchTally tally;
  private final SnapshotManager manager;
  private final Predicate<Revision> deployed;
  private final ToIntFunction<Revision> idle;
  private final StartTimes times;
  private final LongSupplier millis;
  private final ScheduledThreadPoolExecutor timer =
      new ScheduledThreadPoolExecutor(1, DaemonThreads.named("thaw-agent-prefetch"));
  private final Map<Revision, ScheduledFuture<?>> pending = new ConcurrentHashMap<>();
  private final Deque<Long> fetchMs = new ArrayDeque<>();

  Prefetcher(
      Duration minute,
      SnapshotManager manager,
      Predicate<Revision> deployed,
      ToIntFunction<Revision> idle,
      StartTimes times,
      MeterRegistry meters,
      LongSupplier millis) {
    this.plan = new PrefetchPlan(minute);
    this.tally = new PrefetchTally(meters);
    this.manager = manager;
    this.deployed = deployed;
    this.idle = idle;
    this.times = times;
    this.millis = millis;
    timer.setRemoveOnCancelPolicy(true);
    timer.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    manager.cache().onEvicted(this::evicted);
  }

  @Override
  public void arrived(Revision revision) {
    long now = millis.getAsLong();
    plan.arrived(revision, now, leadMillis(revision))
        .ifPresent(
            due -> {
              ScheduledFuture<?> next;
              try {
                next = timer.schedule(() -> fire(due), due.atMillis() - now, TimeUnit.MILLISECONDS);
              } catch (RejectedExecutionException closed) {
                return;
              }
              ScheduledFuture<?> before = pending.put(revision, next);
              if (before != null) {
                before.cancel(false);
              }
            });
  }

  /** The time a fetch takes here: the median of this node's last fetches ahead, else a prior. */
  private long leadMillis(Revision revision) {
    synchronized (fetchMs) {
      if (!fetchMs.isEmpty()) {
        return fetchMs.stream().sorted().skip(fetchMs.size() / 2).findFirst().orElseThrow();
      }
    }
    Long remote = times.medians(revision).get(StartTimes.Kind.REMOTE);
    return remote != null ? remote : PRIOR_LEAD_MS;
  }

  private void fire(PrefetchPlan.Due due) {
    Revision r = due.revision();
    PrefetchPlan.Fire fire =
        plan.fire(
            due,
            new PrefetchPlan.Here(
                deployed.test(r),
                idle.applyAsInt(r) > 0,
                manager.cache().revisions().contains(r.value())));
    if (!(fire instanceof PrefetchPlan.Fetch fetch)) {
      log.debug("no prefetch of {}: {}", r, ((PrefetchPlan.Skip) fire).why());
      return;
    }
    // Once per prediction that came due: why a fetch was or was not made is worth a line.
    try {
      Prefetch outcome = manager.prefetch(r, fetch.evictIdle());
      if (outcome instanceof Prefetch.Fetched f) {
        tally.made(r);
        synchronized (fetchMs) {
          fetchMs.addLast(f.took().toMillis());
          if (fetchMs.size() > KEPT) {
            fetchMs.removeFirst();
          }
        }
        log.info("prefetched {} ({} bytes in {} ms)", r, f.bytes(), f.took().toMillis());
      } else {
        log.info("no prefetch of {}: {}", r, ((Prefetch.Skipped) outcome).why());
      }
    } catch (IOException | RuntimeException e) {
      log.warn("prefetch of {} failed: {}", r, e.getMessage());
    }
  }

  private void evicted(String revision) {
    try {
      tally.evicted(Revision.of(revision));
    } catch (IllegalArgumentException notARevision) {
      // Only revisions are cached; nothing to count otherwise.
    }
  }

  @Override
  public void coldStart(Revision revision, ColdStart.Source source) {
    if (source != ColdStart.Source.NONE) {
      tally.restored(revision);
    }
  }

  @Override
  public void forget(Revision revision) {
    plan.forget(revision);
    tally.forget(revision);
    ScheduledFuture<?> before = pending.remove(revision);
    if (before != null) {
      before.cancel(false);
    }
  }

  @Override
  public PrefetchCounts counts() {
    return tally.counts();
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
