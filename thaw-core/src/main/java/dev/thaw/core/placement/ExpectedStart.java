package dev.thaw.core.placement;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.PriorityQueue;
import java.util.function.Function;

/**
 * Where an invocation is served soonest, and how: the {@code expected-time} placement policy. Pure,
 * shared by the gateway, the agents (whether to wait for a clone) and the simulator.
 *
 * <p>For each node it expects a wait for each way the invocation could be served there, and keeps
 * the least:
 *
 * <ul>
 *   <li>{@link Way#WARM} an idle instance: 0;
 *   <li>{@link Way#BUSY} an instance serving another invocation: the rest of its run, a median run
 *       less the time it has been running;
 *   <li>{@link Way#CLONE} a clone being made after a boot: a median clone less its time so far;
 *   <li>{@link Way#LOCAL}, {@link Way#REMOTE}, {@link Way#BOOT} a new instance, only where there is
 *       room: a median local restore where the node caches the snapshot, else a median remote
 *       restore where it can fetch one, else a median boot.
 * </ul>
 *
 * A task past its median is expected to need as long again as it has overrun (so an instance stuck
 * in a long run soon loses to a boot), and never less than a tenth of its median. Invocations
 * already waiting take the earliest instances first: those waiting on a node take that node's, then
 * {@code queuedAhead} take the earliest anywhere; an instance taken is free again one run later.
 *
 * <p>A median is the node's own, else the median of the other nodes' (a function's first boot on
 * any node is every node's prior), else a {@link StartPriors prior}. So a boot is chosen only when
 * nothing is expected sooner: not while a clone a second from serving is being verified.
 */
public final class ExpectedStart {
  /** The placement policy's name. */
  public static final String POLICY = "expected-time";

  /** How an invocation would be served. */
  public enum Way {
    WARM,
    BUSY,
    CLONE,
    LOCAL,
    REMOTE,
    BOOT;

    /** Whether this way starts a new instance (and takes room on its node). */
    public boolean startsInstance() {
      return this == LOCAL || this == REMOTE || this == BOOT;
    }
  }

  /**
   * One node's soonest way.
   *
   * @param node the node
   * @param way how the invocation would be served there
   * @param expectedMs the expected wait until an instance serves it
   */
  public record Choice(String node, Way way, long expectedMs) {}

  private final StartPriors priors;

  public ExpectedStart(StartPriors priors) {
    this.priors = Objects.requireNonNull(priors, "priors");
  }

  /**
   * Each node's soonest way, soonest first (equal waits by node name); nodes with neither an
   * instance of the revision nor room are left out.
   *
   * @param nodes the healthy nodes
   * @param queuedAhead invocations of the revision waiting for any node, ahead of this one
   */
  public List<Choice> rank(List<NodeTimes> nodes, int queuedAhead) {
    Estimates est = new Estimates(nodes);
    List<Slot> slots = new ArrayList<>();
    Map<String, List<Slot>> byNode = new HashMap<>();
    for (NodeTimes n : nodes) {
      List<Slot> own = new ArrayList<>();
      long run = est.run(n);
      for (int i = 0; i < n.idle(); i++) {
        own.add(new Slot(n.node(), 0, Way.WARM, run));
      }
      for (long t : n.busyMs()) {
        own.add(new Slot(n.node(), remaining(run, t), Way.BUSY, run));
      }
      for (long t : n.clonesMs()) {
        own.add(new Slot(n.node(), remaining(est.clone(n), t), Way.CLONE, run));
      }
      claim(own, n.waiting());
      byNode.put(n.node(), own);
      slots.addAll(own);
    }
    claim(slots, queuedAhead);
    List<Choice> out = new ArrayList<>();
    for (NodeTimes n : nodes) {
      Optional<Choice> best =
          byNode.get(n.node()).stream()
              .min(Comparator.comparingLong(s -> s.ready))
              .map(s -> new Choice(n.node(), s.way, s.ready));
      if (n.room()) {
        Choice start = newInstance(n, est);
        if (best.isEmpty() || start.expectedMs() < best.get().expectedMs()) {
          best = Optional.of(start);
        }
      }
      best.ifPresent(out::add);
    }
    out.sort(Comparator.comparingLong(Choice::expectedMs).thenComparing(Choice::node));
    return out;
  }

  /** The soonest way anywhere; empty when no node has an instance of the revision or room. */
  public Optional<Choice> best(List<NodeTimes> nodes, int queuedAhead) {
    List<Choice> ranked = rank(nodes, queuedAhead);
    return ranked.isEmpty() ? Optional.empty() : Optional.of(ranked.get(0));
  }

  /** The expected boot of the revision on {@code node} (its own median, the cluster's, a prior). */
  public long bootMs(NodeTimes node, List<NodeTimes> nodes) {
    return new Estimates(nodes).boot(node);
  }

  /** The rest of a task of median {@code median} that has run {@code elapsed} (see the class). */
  static long remaining(long median, long elapsed) {
    return Math.max(Math.abs(median - elapsed), Math.max(1, median / 10));
  }

  private Choice newInstance(NodeTimes n, Estimates est) {
    if (n.cached()) {
      return new Choice(n.node(), Way.LOCAL, est.local(n));
    }
    long boot = est.boot(n);
    if (n.remote()) {
      long remote = est.remote(n);
      if (remote < boot) {
        return new Choice(n.node(), Way.REMOTE, remote);
      }
    }
    return new Choice(n.node(), Way.BOOT, boot);
  }

  /** {@code count} invocations take the earliest slots; each slot is free again one run later. */
  private static void claim(List<Slot> slots, int count) {
    if (count == 0 || slots.isEmpty()) {
      return;
    }
    PriorityQueue<Slot> earliest = new PriorityQueue<>(Comparator.comparingLong(s -> s.ready));
    earliest.addAll(slots);
    for (int i = 0; i < count; i++) {
      Slot s = earliest.poll();
      s.ready += s.run;
      s.way = Way.BUSY;
      earliest.add(s);
    }
  }

  /** An instance that will be free to serve, and when. */
  private static final class Slot {
    final String node;
    final long run;
    long ready;
    Way way;

    Slot(String node, long ready, Way way, long run) {
      this.node = node;
      this.ready = ready;
      this.way = way;
      this.run = run;
    }
  }

  /** Each node's medians, with the cluster's where a node has measured none, then the priors. */
  private final class Estimates {
    private final OptionalLong boot;
    private final OptionalLong local;
    private final OptionalLong remote;
    private final OptionalLong clone;
    private final OptionalLong run;

    Estimates(List<NodeTimes> nodes) {
      boot = medianOf(nodes, StartMedians::bootMs);
      local = medianOf(nodes, StartMedians::localMs);
      remote = medianOf(nodes, StartMedians::remoteMs);
      clone = medianOf(nodes, StartMedians::cloneMs);
      run = medianOf(nodes, StartMedians::runMs);
    }

    long boot(NodeTimes n) {
      return pick(n.medians().bootMs(), boot, priors.bootMs());
    }

    long local(NodeTimes n) {
      return pick(n.medians().localMs(), local, share(n, priors.localShare()));
    }

    long remote(NodeTimes n) {
      return pick(n.medians().remoteMs(), remote, share(n, priors.remoteShare()));
    }

    long clone(NodeTimes n) {
      return pick(n.medians().cloneMs(), clone, share(n, priors.cloneShare()));
    }

    long run(NodeTimes n) {
      return pick(n.medians().runMs(), run, local(n));
    }

    private long share(NodeTimes n, double share) {
      return Math.max(1, Math.round(boot(n) * share));
    }

    private static long pick(OptionalLong own, OptionalLong cluster, long prior) {
      return own.orElse(cluster.orElse(prior));
    }

    private static OptionalLong medianOf(
        List<NodeTimes> nodes, Function<StartMedians, OptionalLong> field) {
      long[] values =
          nodes.stream()
              .map(n -> field.apply(n.medians()))
              .filter(OptionalLong::isPresent)
              .mapToLong(OptionalLong::getAsLong)
              .sorted()
              .toArray();
      return values.length == 0 ? OptionalLong.empty() : OptionalLong.of(values[values.length / 2]);
    }
  }
}
