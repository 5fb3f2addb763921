package dev.thaw.sim;

import static dev.thaw.sim.Instances.BUSY;
import static dev.thaw.sim.Instances.IDLE;
import static dev.thaw.sim.Instances.SNAPSHOTTING;

import dev.thaw.core.cache.CacheIndex;
import dev.thaw.core.lifecycle.KeepAlivePolicy;
import dev.thaw.core.lifecycle.PrefetchPredictor;
import dev.thaw.core.placement.PlacementScorer;
import dev.thaw.core.snapshot.SnapshotMode;
import java.util.Random;
import java.util.function.Consumer;

/**
 * A discrete-event simulation of a Thaw cluster on a virtual clock, driving thaw-core's own
 * decisions: each node's {@link CacheIndex} ({@link SnapshotLocations}), the gateway's {@link
 * PlacementScorer} ({@link ColdStartPlacement}), and each function's {@link KeepAlivePolicy}
 * tracker ({@link KeepAlives}) and {@link PrefetchPredictor} ({@link PrefetchSchedule}). This class
 * is the event loop and the instances' lifecycle, as the agents and the gateway carry it out:
 *
 * <ul>
 *   <li>an invocation takes an idle instance of its function anywhere (the gateway prefers nodes
 *       with a warm instance), the most recently idle first; else it is a cold start where
 *       placement says, stopping an idle instance when the node is full; when every instance is
 *       busy it is rejected;
 *   <li>a cold start restores from the node's cache, else (remote mode) from remote storage,
 *       admitting the snapshot into the cache, else boots; after a boot's first answer the node
 *       snapshots it, verifies a clone, commits it to its cache and (remote mode) uploads it, all
 *       within {@link SimModel#snapshotMs()}; the clone then takes the instance's place;
 *   <li>an idle instance stops when its function's keep-alive window has passed; when the policy
 *       asks for a pre-warm window, the instance stops at once and a new one is started when the
 *       window ends (off the critical path; counted as a pre-warm);
 *   <li>with cores per host ({@link SimConfig#coresPerHost()}), the starts in progress on a host
 *       share its cores ({@link CpuShare}): boots, restores and pre-warms, and the snapshot after a
 *       boot (its verifying clone is a restore); each takes its sampled bench time while at most
 *       that many run at once, longer beyond;
 *   <li>with prefetch, when a function's predicted next arrival is near and no node caches its
 *       snapshot and no instance of it is idle, the least loaded node fetches it into its cache;
 *   <li>a fetch from remote storage (a restore, pre-warm or prefetch) may be served by a peer
 *       caching the snapshot instead ({@link PeerFetches}), which changes its requests, bytes and
 *       latency, not the run's timeline.
 * </ul>
 *
 * Time is in milliseconds. Instances, functions and nodes live in primitive arrays and events in a
 * primitive heap: the hot loop allocates nothing but what the core classes do on a cold start. Not
 * thread-safe; one run per instance.
 */
public final class Simulator {
  private static final int COMPLETE = 0;
  private static final int EXPIRE = 1;
  private static final int SNAPSHOT_READY = 2;
  private static final int PREWARM = 3;
  private static final int PREFETCH = 4;
  private static final int CPU_DONE = 5;

  /** {@link Instances#work} of a pre-warm: no invocation waits for it. */
  private static final long PREWARM_WORK = -1;

  private final Workload w;
  private final SimConfig c;
  private final SimModel m;
  private final Random random;
  private final EventQueue events = new EventQueue();
  private final StartTally tally = new StartTally();
  private final CpuShare cpu;
  private final int[] finished;
  private long now;

  private final double[] guestMib;
  private final KeepAlives keepAlives;
  private final PrefetchSchedule prefetch;
  private final SnapshotLocations snapshots;
  private final LoadIndex load;
  private final Instances in = new Instances();
  private final IdleLists idle;
  private final IdleExpiry expiry = new IdleExpiry(in);
  private final ColdStartPlacement placement;
  private final Starts starts;
  private PlacementWatcher placed = (f, node) -> {};

  public Simulator(Workload workload, SimConfig config, SimModel model) {
    this.w = workload;
    this.c = config;
    this.m = model;
    this.random = new Random(config.seed());
    int f = workload.functions;
    guestMib = new double[f];
    for (int i = 0; i < f; i++) {
      guestMib[i] = workload.guestBytes[i] / (double) (1 << 20);
    }
    keepAlives =
        new KeepAlives(f, KeepAlivePolicy.named(config.keepAlive(), config.keepAliveWindow()));
    prefetch = config.prefetch() ? new PrefetchSchedule(workload, model) : null;
    snapshots = new SnapshotLocations(workload, config, model, () -> now);
    load = new LoadIndex(config.nodes(), config.instancesPerNode());
    cpu = config.coresPerHost() > 0 ? new CpuShare(config.hosts(), config.coresPerHost()) : null;
    finished = new int[config.instancesPerNode() * config.nodesPerHost()];
    idle = new IdleLists(in, f, config.nodes());
    placement = new ColdStartPlacement(config, model, load, snapshots, idle, random);
    starts = new Starts(workload, config, model, random, snapshots, tally, in);
  }

  /** Sees every placement decision: a cold start's or a pre-warm's. */
  @FunctionalInterface
  interface PlacementWatcher {
    /** {@code f} goes to {@code node}, or nowhere (-1). */
    void placed(int f, int node);
  }

  /** Shows each placement decision to {@code watcher} (tests compare runs by them). */
  Simulator watchPlacement(PlacementWatcher watcher) {
    placed = watcher;
    return this;
  }

  /**
   * Runs the whole workload.
   *
   * @param progress receives a line every few seconds of wall time
   */
  public SimResult run(Consumer<String> progress) {
    long t0 = System.nanoTime();
    long lastReport = t0;
    Workload.Batch b = new Workload.Batch();
    Workload.Arrivals arrivals = w.new Arrivals(c.seed());
    long end = w.endMillis();
    while (arrivals.next(b)) {
      for (int k = 0; k < b.size; k++) {
        drain(b.times[k]);
        now = b.times[k];
        arrive(b.function[k], b.durations[k]);
      }
      long wall = System.nanoTime();
      if (wall - lastReport > 5_000_000_000L) {
        lastReport = wall;
        progress.accept(tally.progress(c.label(), b.minute + 1, w.minutes(), (wall - t0) / 1e9));
      }
    }
    drain(end);
    now = Math.max(now, end);
    for (int i = 0; i < in.count; i++) {
      if (in.state[i] == IDLE) {
        tally.idle(guestMib[in.fn[i]], Math.max(0, end - in.idleSince[i]));
      }
    }
    return tally.result(c, (System.nanoTime() - t0) / 1e9);
  }

  /** Handles every event due by {@code until}. */
  private void drain(long until) {
    while (!events.isEmpty() && events.peekTime() <= until) {
      long t = events.peekTime();
      long p = events.peekPayload();
      events.pop();
      now = t;
      int index = EventQueue.index(p);
      int gen = EventQueue.generation(p);
      switch (EventQueue.type(p)) {
        case COMPLETE -> complete(index);
        case EXPIRE -> expire(index, gen);
        case SNAPSHOT_READY -> snapshotReady(index);
        case PREWARM -> prewarm(index, gen);
        case PREFETCH -> prefetch(index, gen);
        case CPU_DONE -> cpuDone(index, gen);
        default -> throw new IllegalStateException("event type " + EventQueue.type(p));
      }
    }
  }

  private void schedule(long at, int type, int index, int gen) {
    events.push(at, EventQueue.payload(type, index, gen));
  }

  private void arrive(int f, long durationMs) {
    tally.invocation();
    keepAlives.arrived(f, now);
    if (prefetch != null) {
      long at = prefetch.arrived(f, now);
      if (at >= 0) {
        schedule(at, PREFETCH, f, prefetch.generation(f));
      }
    }
    int i = idle.newestOf(f);
    if (i >= 0) {
      unlinkIdle(i);
      tally.warm(m.warmMs());
      schedule(now + Math.round(m.warmMs()) + durationMs, COMPLETE, i, 0);
      return;
    }
    if (placement.waitForClone(f, durationMs, now)) {
      return;
    }
    int node = place(f);
    if (node < 0) {
      tally.rejected();
      keepAlives.rejected(f);
      return;
    }
    launch(f, node, durationMs);
  }

  /**
   * Starts an instance of {@code f} on {@code node} that then serves an invocation of {@code work}
   * ms, or rests as a pre-warm ({@link #PREWARM_WORK}).
   */
  private void launch(int f, int node, long work) {
    int i = in.allocate(f, node);
    load.add(node, 1);
    in.work[i] = work;
    double ms = starts.start(f, node, i, work == PREWARM_WORK, now);
    if (cpu != null) {
      share(i, ms);
    } else {
      ready(i, ms, now + Math.round(ms));
    }
  }

  /** Instance {@code i} took {@code ms} to start and is ready at {@code at}. */
  private void ready(int i, double ms, long at) {
    if (in.work[i] == PREWARM_WORK) {
      rest(i, false);
    } else {
      tally.startLatency(ms - in.fetchSavedMs[i]);
      schedule(at + in.work[i], COMPLETE, i, 0);
    }
  }

  /** Instance {@code i}'s start (or snapshot) of {@code ms} bench time joins its host's share. */
  private void share(int i, double ms) {
    int host = in.node[i] / c.nodesPerHost();
    in.startedAt[i] = now;
    cpu.add(host, i, ms, now);
    reschedule(host);
  }

  private void reschedule(int host) {
    long at = cpu.nextFinish(host);
    if (at >= 0) {
      schedule(at, CPU_DONE, host, cpu.generation(host));
    }
  }

  /** The starts (and snapshots) on {@code host} that are done now go on. */
  private void cpuDone(int host, int gen) {
    if (gen != cpu.generation(host)) {
      return;
    }
    int n = cpu.finish(host, now, finished);
    for (int k = 0; k < n; k++) {
      int i = finished[k];
      if (in.state[i] == SNAPSHOTTING) {
        snapshotReady(i);
      } else {
        ready(i, now - in.startedAt[i], now);
      }
    }
    reschedule(host);
  }

  /**
   * The node for a cold start of {@code f}, stopping an idle instance there if it is full; or -1.
   */
  private int place(int f) {
    int node = placement.withRoom(f);
    if (node < 0) {
      node = placement.toMakeRoom(f);
      if (node >= 0) {
        stop(idle.oldestOn(node));
      }
    }
    placed.placed(f, node);
    return node;
  }

  private void complete(int i) {
    keepAlives.ended(in.fn[i], now);
    if (in.needsSnapshot[i]) {
      in.state[i] = SNAPSHOTTING;
      placement.cloneStarted(i, in.fn[i], in.node[i], now);
      if (cpu != null) {
        share(i, m.snapshotMs());
        return;
      }
      schedule(now + Math.round(m.snapshotMs()), SNAPSHOT_READY, i, 0);
      return;
    }
    rest(i, true);
  }

  private void snapshotReady(int i) {
    in.needsSnapshot[i] = false;
    snapshots.snapshotted(in.fn[i], in.node[i]);
    var waiter = placement.cloneReady(i, in.fn[i]);
    if (waiter.isPresent()) {
      // The invocation that waited for this clone: served as warm, its wait in its latency.
      in.state[i] = BUSY;
      tally.warm(now - waiter.get().since() + m.warmMs());
      schedule(now + Math.round(m.warmMs()) + waiter.get().work(), COMPLETE, i, 0);
      return;
    }
    rest(i, true);
  }

  /** Instance {@code i} is idle now: kept for its function's window, or stopped for a pre-warm. */
  private void rest(int i, boolean mayPrewarm) {
    int f = in.fn[i];
    long prewarm = keepAlives.prewarmMillis(f);
    if (mayPrewarm && prewarm > 0) {
      in.state[i] = BUSY; // stop() expects a live instance that is not linked as idle
      stop(i);
      schedule(now + prewarm, PREWARM, f, keepAlives.nextPrewarm(f));
      return;
    }
    in.state[i] = IDLE;
    in.idleSince[i] = now;
    idle.link(i);
    long expireAt = now + keepAlives.keepAliveMillis(f);
    if (expiry.keep(i, expireAt)) {
      schedule(expireAt, EXPIRE, i, in.gen[i]);
    }
  }

  private void expire(int i, int gen) {
    switch (expiry.fired(i, gen, now)) {
      case STOP -> stop(i);
      case REARM -> schedule(expiry.deadline(i), EXPIRE, i, gen);
      case STALE -> {}
    }
  }

  private void prewarm(int f, int gen) {
    if (!keepAlives.isLatestPrewarm(f, gen) || idle.newestOf(f) >= 0) {
      return;
    }
    int node = place(f);
    if (node < 0) {
      return;
    }
    launch(f, node, PREWARM_WORK);
  }

  private void prefetch(int f, int gen) {
    if (gen != prefetch.generation(f)
        || c.mode() != SnapshotMode.REMOTE
        || !snapshots.inRemote(f)
        || snapshots.cachingCount(f) > 0
        || idle.newestOf(f) >= 0) {
      return;
    }
    int node = load.leastLoaded(random);
    if (node < 0) {
      return;
    }
    starts.prefetch(f, node, now);
    snapshots.cache(f, node);
  }

  /** Stops a live instance, idle or not, freeing its slot. */
  private void stop(int i) {
    if (in.state[i] == IDLE) {
      unlinkIdle(i);
    }
    load.add(in.node[i], -1);
    in.release(i);
  }

  /** Takes an idle instance out of both lists, books its idle time, and makes it busy. */
  private void unlinkIdle(int i) {
    tally.idle(guestMib[in.fn[i]], now - in.idleSince[i]);
    idle.unlink(i);
    in.state[i] = BUSY;
  }
}
