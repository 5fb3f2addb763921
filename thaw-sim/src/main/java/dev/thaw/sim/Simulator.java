package dev.thaw.sim;

import dev.thaw.core.cache.CacheIndex;
import dev.thaw.core.cache.EvictionPolicy;
import dev.thaw.core.lifecycle.KeepAlivePolicy;
import dev.thaw.core.lifecycle.PrefetchPredictor;
import dev.thaw.core.placement.PlacementScorer;
import dev.thaw.core.snapshot.SnapshotMode;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.function.Consumer;

/**
 * A discrete-event simulation of a Thaw cluster on a virtual clock, driving thaw-core's own
 * decisions: each node's {@link CacheIndex} with its {@link EvictionPolicy}, the gateway's {@link
 * PlacementScorer}, and each function's {@link KeepAlivePolicy} tracker and {@link
 * PrefetchPredictor}. What the agents and the gateway do around those decisions is modelled as they
 * do it:
 *
 * <ul>
 *   <li>an invocation takes an idle instance of its function anywhere (the gateway prefers nodes
 *       with a warm instance), the most recently idle first; else it is a cold start, placed by the
 *       scorer on a node with room, the node's load counting every instance it runs, idle or busy;
 *       when every node is full, a node with an idle instance makes room (the agent stops its least
 *       recently used idle instance); when every instance is busy it is rejected;
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
 *   <li>with prefetch, after each arrival the function's predictor says when the next one is due;
 *       then, if no node caches its snapshot and no instance of it is idle, the node placement
 *       would pick fetches it into its cache.
 * </ul>
 *
 * Time is in milliseconds. Instances, functions and nodes live in primitive arrays and events in a
 * primitive heap: the hot loop allocates nothing but what the core classes do on a cold start. Not
 * thread-safe; one run per instance.
 */
public final class Simulator {
  private static final int FREE = 0;
  private static final int BUSY = 1;
  private static final int IDLE = 2;
  private static final int SNAPSHOTTING = 3;

  private static final int COMPLETE = 0;
  private static final int EXPIRE = 1;
  private static final int SNAPSHOT_READY = 2;
  private static final int PREWARM = 3;
  private static final int PREFETCH = 4;
  private static final int CPU_DONE = 5;

  /** {@link Instances#work} of a pre-warm: no invocation waits for it. */
  private static final long PREWARM_WORK = -1;

  private static final int LOCAL = 0;
  private static final int REMOTE = 1;
  private static final int BOOT = 2;

  private final Workload w;
  private final SimConfig c;
  private final SimModel m;
  private final Random random;
  private final PlacementScorer scorer;
  private final boolean scoresLocality;
  private final EventQueue events = new EventQueue();
  private final LatencyHistogram latencies = new LatencyHistogram();
  private final CpuShare cpu;
  private final int[] finished;
  private long now;

  // Functions.
  private final String[] revision;
  private final long[] cacheBytes;
  private final long[] remoteBytesOf;
  private final double[] guestMib;
  private final long[] fetchMs;
  private final KeepAlivePolicy.Tracker[] trackers;
  private final long[] lastEnd;
  private final int[] running;
  private final boolean[] inRemote;
  private final int[][] cachedOn;
  private final int[] cachedCount;
  private final PrefetchPredictor[] predictors;
  private final long[] lastArrival;
  private final int[] prefetchGen;
  private final int[] prewarmGen;

  // Nodes.
  private final CacheIndex[] caches;
  private final LoadIndex load;

  // Instances.
  private final Instances in = new Instances();
  private final IdleLists idle;

  // Counters.
  private long invocations;
  private long warm;
  private long localRestores;
  private long remoteRestores;
  private long boots;
  private long rejected;
  private long prewarms;
  private long prefetches;
  private long remoteBytes;
  private double idleMibMillis;

  public Simulator(Workload workload, SimConfig config, SimModel model) {
    this.w = workload;
    this.c = config;
    this.m = model;
    this.random = new Random(config.seed());
    this.scorer = PlacementScorer.named(config.placement());
    // A scorer that gives caching no bonus ranks by load alone: no need to visit caching nodes.
    this.scoresLocality = scorer.value(0.5, true) > scorer.value(0.5, false);
    int f = workload.functions;
    revision = new String[f];
    cacheBytes = new long[f];
    remoteBytesOf = new long[f];
    guestMib = new double[f];
    fetchMs = new long[f];
    trackers = new KeepAlivePolicy.Tracker[f];
    KeepAlivePolicy keepAlive = KeepAlivePolicy.named(config.keepAlive(), config.keepAliveWindow());
    for (int i = 0; i < f; i++) {
      revision[i] = "f" + i;
      cacheBytes[i] = model.cacheBytes(workload.guestBytes[i]);
      remoteBytesOf[i] = model.remoteBytes(workload.guestBytes[i]);
      guestMib[i] = workload.guestBytes[i] / (double) (1 << 20);
      fetchMs[i] = Math.round(model.missCostMs(workload.guestBytes[i]));
      trackers[i] = keepAlive.tracker();
    }
    lastEnd = new long[f];
    java.util.Arrays.fill(lastEnd, -1);
    running = new int[f];
    inRemote = new boolean[f];
    cachedOn = new int[f][];
    cachedCount = new int[f];
    predictors = config.prefetch() ? new PrefetchPredictor[f] : null;
    lastArrival = new long[f];
    java.util.Arrays.fill(lastArrival, -1);
    prefetchGen = new int[f];
    prewarmGen = new int[f];

    int n = config.nodes();
    caches = new CacheIndex[n];
    for (int i = 0; i < n; i++) {
      EvictionPolicy policy =
          config.eviction().equals("gdsf")
              ? EvictionPolicy.greedyDualSizeFrequency(
                  e -> model.missCostMs((long) (e.bytes() / model.cacheBytesPerGuestByte())))
              : EvictionPolicy.named(config.eviction());
      caches[i] =
          CacheIndex.builder()
              .capacityBytes(config.cacheBytesPerNode())
              .clock(() -> now)
              .policy(policy)
              .build();
    }
    load = new LoadIndex(n, config.instancesPerNode());
    cpu = config.coresPerHost() > 0 ? new CpuShare(config.hosts(), config.coresPerHost()) : null;
    finished = new int[config.instancesPerNode() * config.nodesPerHost()];
    idle = new IdleLists(in, f, n);
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
        long t = b.times[k];
        drain(t);
        now = t;
        arrive(b.function[k], b.durations[k]);
      }
      long wall = System.nanoTime();
      if (wall - lastReport > 5_000_000_000L) {
        lastReport = wall;
        double s = (wall - t0) / 1e9;
        progress.accept(
            String.format(
                java.util.Locale.ROOT,
                "  %s: minute %d of %d, %,d invocations, %.0f s, %,.0f invocations/s",
                c.label(),
                b.minute + 1,
                w.minutes(),
                invocations,
                s,
                invocations / s));
      }
    }
    drain(end);
    now = Math.max(now, end);
    for (int i = 0; i < in.count; i++) {
      if (in.state[i] == IDLE) {
        idleMibMillis += guestMib[in.fn[i]] * Math.max(0, end - in.idleSince[i]);
      }
    }
    double wallSeconds = (System.nanoTime() - t0) / 1e9;
    return new SimResult(
        c.label(),
        c.nodes(),
        c.cacheBytesPerNode(),
        invocations,
        warm,
        localRestores,
        remoteRestores,
        boots,
        rejected,
        prewarms,
        prefetches,
        remoteBytes,
        latencies.percentile(50),
        latencies.percentile(99),
        idleMibMillis / 1024 / 3_600_000,
        wallSeconds);
  }

  /** Handles every event due by {@code until}. */
  private void drain(long until) {
    while (!events.isEmpty() && events.peekTime() <= until) {
      long t = events.peekTime();
      long p = events.peekPayload();
      events.pop();
      now = t;
      int type = (int) (p & 7);
      int index = (int) ((p >>> 3) & 0x1FFFFFFF);
      int gen = (int) (p >>> 32);
      switch (type) {
        case COMPLETE -> complete(index);
        case EXPIRE -> expire(index, gen);
        case SNAPSHOT_READY -> snapshotReady(index);
        case PREWARM -> prewarm(index, gen);
        case PREFETCH -> prefetch(index, gen);
        case CPU_DONE -> cpuDone(index, gen);
        default -> throw new IllegalStateException("event type " + type);
      }
    }
  }

  private void schedule(long at, int type, int index, int gen) {
    events.push(at, (long) gen << 32 | (long) index << 3 | type);
  }

  private void arrive(int f, long durationMs) {
    invocations++;
    if (running[f] == 0 && lastEnd[f] >= 0) {
      trackers[f].observeIdle(now - lastEnd[f]);
    }
    running[f]++;
    if (predictors != null) {
      predict(f);
    }
    int i = idle.newestOf(f);
    if (i >= 0) {
      unlinkIdle(i);
      in.state[i] = BUSY;
      warm++;
      latencies.add(m.warmMs());
      schedule(now + Math.round(m.warmMs()) + durationMs, COMPLETE, i, 0);
      return;
    }
    int node = place(f);
    if (node < 0) {
      rejected++;
      running[f]--;
      return;
    }
    i = in.allocate(f, node);
    load.add(node, 1);
    double ms = start(f, node, i, false);
    in.state[i] = BUSY;
    if (cpu != null) {
      in.work[i] = durationMs;
      share(i, ms);
      return;
    }
    latencies.add(ms);
    schedule(now + Math.round(ms) + durationMs, COMPLETE, i, 0);
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
      } else if (in.work[i] == PREWARM_WORK) {
        rest(i, false);
      } else {
        latencies.add(now - in.startedAt[i]);
        schedule(now + in.work[i], COMPLETE, i, 0);
      }
    }
    reschedule(host);
  }

  /**
   * Starts instance {@code i} of {@code f} on {@code node}: a local restore, a remote one, or a
   * boot, as the node's cache and remote storage allow.
   *
   * @return the modelled start latency
   */
  private double start(int f, int node, int i, boolean ahead) {
    double u = random.nextDouble();
    int kind = BOOT;
    if (c.mode() != SnapshotMode.DISABLED) {
      Optional<CacheIndex.Lease> lease = caches[node].acquire(revision[f]);
      if (lease.isPresent()) {
        caches[node].release(lease.get());
        kind = LOCAL;
      } else if (c.mode() == SnapshotMode.REMOTE && inRemote[f]) {
        kind = REMOTE;
        remoteBytes += remoteBytesOf[f];
        cache(f, node);
      }
    }
    in.needsSnapshot[i] = kind == BOOT && c.mode() != SnapshotMode.DISABLED;
    if (ahead) {
      prewarms++;
    } else if (kind == LOCAL) {
      localRestores++;
    } else if (kind == REMOTE) {
      remoteRestores++;
    } else {
      boots++;
    }
    return switch (kind) {
      case LOCAL -> m.localRestore().at(u);
      case REMOTE -> m.remoteRestoreMs(u, w.guestBytes[f]);
      default -> m.boot().at(u);
    };
  }

  /** Admits and commits {@code f}'s snapshot into {@code node}'s cache, if it fits. */
  private void cache(int f, int node) {
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
      on = cachedOn[f] = java.util.Arrays.copyOf(on, on.length * 2);
    }
    on[cachedCount[f]++] = node;
  }

  /**
   * The node the scorer ranks first for a cold start of {@code f}, as {@link PlacementScorer#score}
   * would over all nodes: the scorer is monotone, so the best node is the least loaded one (a
   * random one among equals, as the gateway shuffles ties) or a node caching the snapshot; a
   * caching node wins only with a strictly higher score. When every node is full, a node with an
   * idle instance (caching the snapshot if one does) makes room; -1 when none has.
   */
  private int place(int f) {
    int best = load.leastLoaded(random);
    double bestValue = Double.NEGATIVE_INFINITY;
    if (best >= 0) {
      bestValue = scorer.value(load.load(best), caches[best].contains(revision[f]));
    }
    int[] on = cachedOn[f];
    for (int k = 0; scoresLocality && k < cachedCount[f]; k++) {
      int n = on[k];
      if (!load.full(n)) {
        double v = scorer.value(load.load(n), true);
        if (v > bestValue) {
          best = n;
          bestValue = v;
        }
      }
    }
    if (best >= 0) {
      return best;
    }
    for (int k = 0; k < cachedCount[f]; k++) {
      if (idle.countOn(on[k]) > 0) {
        return makeRoom(on[k]);
      }
    }
    int full = load.fullCount();
    if (full == 0) {
      return -1;
    }
    int startAt = random.nextInt(full);
    for (int k = 0; k < full; k++) {
      int n = load.fullNode((startAt + k) % full);
      if (idle.countOn(n) > 0) {
        return makeRoom(n);
      }
    }
    return -1;
  }

  /** Stops {@code node}'s least recently idle instance to free a slot. */
  private int makeRoom(int node) {
    stop(idle.oldestOn(node));
    return node;
  }

  private void complete(int i) {
    int f = in.fn[i];
    running[f]--;
    lastEnd[f] = Math.max(lastEnd[f], now);
    if (in.needsSnapshot[i]) {
      in.state[i] = SNAPSHOTTING;
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
    int f = in.fn[i];
    in.needsSnapshot[i] = false;
    cache(f, in.node[i]);
    if (c.mode() == SnapshotMode.REMOTE) {
      inRemote[f] = true;
    }
    rest(i, true);
  }

  /** Instance {@code i} is idle now: kept for its function's window, or stopped for a pre-warm. */
  private void rest(int i, boolean mayPrewarm) {
    int f = in.fn[i];
    KeepAlivePolicy.Tracker t = trackers[f];
    long prewarm = t.prewarmMillis();
    if (mayPrewarm && prewarm > 0) {
      in.state[i] = BUSY; // stop() expects a live instance that is not linked as idle
      stop(i);
      schedule(now + prewarm, PREWARM, f, ++prewarmGen[f]);
      return;
    }
    in.state[i] = IDLE;
    in.idleSince[i] = now;
    long expireAt = now + t.keepAliveMillis();
    in.expireAt[i] = expireAt;
    idle.link(i);
    if (!in.expiryPending[i] || expireAt < in.pendingAt[i]) {
      in.expiryPending[i] = true;
      in.pendingAt[i] = expireAt;
      schedule(expireAt, EXPIRE, i, in.gen[i]);
    }
  }

  private void expire(int i, int gen) {
    if (in.gen[i] != gen || in.state[i] == FREE) {
      return;
    }
    if (in.pendingAt[i] == now) {
      in.expiryPending[i] = false;
    }
    if (in.state[i] != IDLE) {
      return; // busy again: its next idle period schedules its own expiry
    }
    if (now >= in.expireAt[i]) {
      stop(i);
    } else if (!in.expiryPending[i]) {
      in.expiryPending[i] = true;
      in.pendingAt[i] = in.expireAt[i];
      schedule(in.expireAt[i], EXPIRE, i, gen);
    }
  }

  private void prewarm(int f, int gen) {
    if (gen != prewarmGen[f] || idle.newestOf(f) >= 0) {
      return;
    }
    int node = place(f);
    if (node < 0) {
      return;
    }
    int i = in.allocate(f, node);
    load.add(node, 1);
    double ms = start(f, node, i, true);
    in.needsSnapshot[i] = false;
    if (cpu != null) {
      in.work[i] = PREWARM_WORK;
      share(i, ms);
      return;
    }
    rest(i, false);
  }

  private void predict(int f) {
    if (lastArrival[f] >= 0) {
      if (predictors[f] == null) {
        predictors[f] = new PrefetchPredictor();
      }
      predictors[f].observeGap(now - lastArrival[f]);
      long after = predictors[f].prefetchAfterMillis(fetchMs[f]);
      if (after >= 0) {
        schedule(now + after, PREFETCH, f, ++prefetchGen[f]);
      }
    }
    lastArrival[f] = now;
  }

  private void prefetch(int f, int gen) {
    if (gen != prefetchGen[f]
        || c.mode() != SnapshotMode.REMOTE
        || !inRemote[f]
        || cachedCount[f] > 0
        || idle.newestOf(f) >= 0) {
      return;
    }
    int node = load.leastLoaded(random);
    if (node < 0) {
      return;
    }
    prefetches++;
    remoteBytes += remoteBytesOf[f];
    cache(f, node);
  }

  /** Stops a live instance, idle or not, freeing its slot. */
  private void stop(int i) {
    if (in.state[i] == IDLE) {
      unlinkIdle(i);
    }
    load.add(in.node[i], -1);
    in.release(i);
  }

  /** Takes an idle instance out of both lists and books its idle time. */
  private void unlinkIdle(int i) {
    idleMibMillis += guestMib[in.fn[i]] * (now - in.idleSince[i]);
    idle.unlink(i);
    in.state[i] = BUSY;
  }
}
