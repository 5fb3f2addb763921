package dev.thaw.node.gateway;

import dev.thaw.core.concurrent.DaemonThreads;
import dev.thaw.core.function.Revision;
import dev.thaw.core.placement.NodeState;
import dev.thaw.node.protocol.AgentClient;
import dev.thaw.node.protocol.InstanceInfo;
import dev.thaw.node.protocol.NodeStatus;
import dev.thaw.node.protocol.RevisionLoad;
import dev.thaw.node.snapshot.fill.ManifestDigest;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the gateway last saw of each node: its health, load, idle warm instances, cached snapshots
 * and, per revision, what placement by expected time reads ({@link RevisionLoad}), from a poll of
 * its agent every interval. A node that fails a poll, or a call between polls, is down until a poll
 * answers again. Between polls, an invocation served on a node is remembered there as a warm
 * instance, so that the next one goes to it without waiting for a poll.
 */
final class NodeViews implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NodeViews.class);

  /**
   * What the gateway last saw of a node.
   *
   * @param healthy whether its last poll (or call) answered
   * @param active instances running or starting on it
   * @param capacity instances it runs at once
   * @param cached revisions whose snapshots it keeps
   * @param warm per revision, its idle instances
   * @param remote whether it restores snapshots from remote storage
   * @param loads per revision, what it reported for placement by expected time
   * @param seenAt when it reported them ({@link System#nanoTime()})
   */
  record View(
      boolean healthy,
      int active,
      int capacity,
      Set<String> cached,
      Map<String, Integer> warm,
      boolean remote,
      Map<String, RevisionLoad> loads,
      long seenAt) {
    static final View DOWN = new View(false, 0, 0, Set.of(), Map.of());

    /** A view without the figures of placement by expected time. */
    View(boolean healthy, int active, int capacity, Set<String> cached, Map<String, Integer> warm) {
      this(healthy, active, capacity, cached, warm, false, Map.of(), System.nanoTime());
    }

    NodeState state(String node) {
      return new NodeState(node, healthy, active, capacity, cached);
    }

    View withWarm(Map<String, Integer> warm) {
      return new View(healthy, active, capacity, cached, warm, remote, loads, seenAt);
    }
  }

  private final Map<String, AgentClient> nodes;
  private final Map<String, View> views = new ConcurrentHashMap<>();

  /** Per node, the manifests of the snapshots it made, as its last poll reported them. */
  private final Map<String, Map<String, ManifestDigest>> made = new ConcurrentHashMap<>();

  private final ScheduledExecutorService poller =
      Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("thaw-gateway-health"));

  private NodeViews(Map<String, AgentClient> nodes) {
    this.nodes = nodes;
    nodes.keySet().forEach(n -> views.put(n, View.DOWN));
  }

  /** Polls every node once now, then every {@code interval} until closed. */
  static NodeViews start(Map<String, AgentClient> nodes, Duration interval) {
    NodeViews v = new NodeViews(nodes);
    v.pollAll();
    long period = interval.toMillis();
    v.poller.scheduleWithFixedDelay(v::pollAll, period, period, TimeUnit.MILLISECONDS);
    return v;
  }

  /** Every node's view as it stands, by node name. */
  Map<String, View> all() {
    return new TreeMap<>(views);
  }

  /** Every node as placement sees it. */
  List<NodeState> states() {
    List<NodeState> out = new ArrayList<>();
    views.forEach((n, v) -> out.add(v.state(n)));
    return out;
  }

  /**
   * The digest of {@code revision}'s snapshot manifest as a node that made the snapshot reports it
   * in its last poll, if one does: handed to the node a cold start goes to (see {@link
   * ManifestDigest}). A revision deleted since is reported by none.
   */
  Optional<ManifestDigest> manifestDigest(Revision revision) {
    for (Map<String, ManifestDigest> byRevision : made.values()) {
      ManifestDigest d = byRevision.get(revision.value());
      if (d != null) {
        return Optional.of(d);
      }
    }
    return Optional.empty();
  }

  /** {@code node} failed a call: down until it answers a poll. */
  void down(String node) {
    views.put(node, View.DOWN);
    made.remove(node);
  }

  /** Optimistic update between polls: the node now has an instance and soon a snapshot. */
  void served(String node, Revision revision) {
    views.computeIfPresent(
        node,
        (n, v) -> {
          if (v.warm().containsKey(revision.value())) {
            // Already seen warm there (every warm invocation): nothing to copy.
            return v;
          }
          Map<String, Integer> warm = new HashMap<>(v.warm());
          warm.putIfAbsent(revision.value(), 1);
          return v.withWarm(Map.copyOf(warm));
        });
  }

  /** Polls every node now. */
  void pollAll() {
    nodes.forEach((name, agent) -> views.put(name, poll(name, agent)));
  }

  private View poll(String name, AgentClient agent) {
    try {
      long seenAt = System.nanoTime();
      NodeStatus status = agent.status();
      Map<String, Integer> warm = new HashMap<>();
      for (InstanceInfo i : agent.instances()) {
        if (!i.busy()) {
          warm.merge(i.revision(), 1, Integer::sum);
        }
      }
      Map<String, RevisionLoad> loads = new HashMap<>();
      status.revisions().forEach(r -> loads.put(r.revision(), r));
      made.put(name, digests(name, status.manifests()));
      return new View(
          true,
          status.activeInstances(),
          status.maxInstances(),
          Set.copyOf(agent.snapshots()),
          Map.copyOf(warm),
          status.remoteSnapshots(),
          Map.copyOf(loads),
          seenAt);
    } catch (IOException | RuntimeException e) {
      // A poll cut short by close() says nothing about the node.
      if (!poller.isShutdown() && views.getOrDefault(name, View.DOWN).healthy()) {
        log.warn("node {} failed its health check: {}", name, e.getMessage());
      }
      made.remove(name);
      return View.DOWN;
    }
  }

  /**
   * The manifest digests {@code node} reported of the snapshots it made; malformed ones dropped.
   */
  private static Map<String, ManifestDigest> digests(String node, Map<String, String> reported) {
    Map<String, ManifestDigest> out = new HashMap<>();
    reported.forEach(
        (revision, sha256) -> {
          try {
            out.put(revision, new ManifestDigest(sha256));
          } catch (IllegalArgumentException e) {
            log.debug("ignoring {}'s manifest digest of {}: {}", node, revision, e.getMessage());
          }
        });
    return Map.copyOf(out);
  }

  @Override
  public void close() {
    poller.shutdownNow();
  }
}
