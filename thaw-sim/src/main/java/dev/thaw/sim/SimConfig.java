package dev.thaw.sim;

import dev.thaw.core.cache.EvictionPolicy;
import dev.thaw.core.lifecycle.KeepAlivePolicy;
import dev.thaw.core.placement.PlacementScorer;
import dev.thaw.core.snapshot.SnapshotMode;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * One simulated cluster and its policies.
 *
 * @param nodes node agents
 * @param cacheBytesPerNode bound of each node's snapshot cache
 * @param instancesPerNode instances a node runs at once, busy or idle (the agents' {@code
 *     --max-instances})
 * @param placement {@code default}, {@code snapshot-aware} or {@code expected-time} ({@link
 *     PlacementScorer#named})
 * @param eviction {@code lru} or {@code gdsf} ({@link EvictionPolicy#named})
 * @param keepAlive {@code fixed} or {@code hybrid} ({@link KeepAlivePolicy#named})
 * @param keepAliveWindow the fixed window, and the hybrid policy's fallback
 * @param prefetch whether snapshots are fetched ahead into a node's cache when a function's
 *     inter-arrival histogram predicts its next cold start
 * @param mode snapshot mode of every node
 * @param seed seed of placement's tie-breaks and of the modelled latencies
 * @param coresPerHost cores each host has for starts, which share them ({@link CpuShare}); 0: every
 *     start takes its bench time however many run at once
 * @param nodesPerHost nodes on one host, sharing its cores: 1 for a cluster of machines, all of
 *     them for {@code thaw bench trace}, whose agents all run on one machine
 * @param peers whether and how peers caching a snapshot serve fetches of it ({@link PeerFetches})
 */
public record SimConfig(
    int nodes,
    long cacheBytesPerNode,
    int instancesPerNode,
    String placement,
    String eviction,
    String keepAlive,
    Duration keepAliveWindow,
    boolean prefetch,
    SnapshotMode mode,
    long seed,
    int coresPerHost,
    int nodesPerHost,
    Peers peers) {
  /** A cluster whose fetches all go to remote storage. */
  public SimConfig(
      int nodes,
      long cacheBytesPerNode,
      int instancesPerNode,
      String placement,
      String eviction,
      String keepAlive,
      Duration keepAliveWindow,
      boolean prefetch,
      SnapshotMode mode,
      long seed,
      int coresPerHost,
      int nodesPerHost) {
    this(
        nodes,
        cacheBytesPerNode,
        instancesPerNode,
        placement,
        eviction,
        keepAlive,
        keepAliveWindow,
        prefetch,
        mode,
        seed,
        coresPerHost,
        nodesPerHost,
        Peers.OFF);
  }

  /** A cluster whose starts do not contend for cores. */
  public SimConfig(
      int nodes,
      long cacheBytesPerNode,
      int instancesPerNode,
      String placement,
      String eviction,
      String keepAlive,
      Duration keepAliveWindow,
      boolean prefetch,
      SnapshotMode mode,
      long seed) {
    this(
        nodes,
        cacheBytesPerNode,
        instancesPerNode,
        placement,
        eviction,
        keepAlive,
        keepAliveWindow,
        prefetch,
        mode,
        seed,
        0,
        1);
  }

  public SimConfig {
    if (nodes < 1) {
      throw new IllegalArgumentException("nodes must be at least 1, not " + nodes);
    }
    if (cacheBytesPerNode <= 0) {
      throw new IllegalArgumentException("cache per node must be positive");
    }
    if (instancesPerNode < 1) {
      throw new IllegalArgumentException("instances per node must be at least 1");
    }
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(peers, "peers");
    if (coresPerHost < 0) {
      throw new IllegalArgumentException("cores per host must not be negative");
    }
    if (nodesPerHost < 1) {
      throw new IllegalArgumentException("nodes per host must be at least 1");
    }
    placement = placement.trim().toLowerCase(Locale.ROOT);
    eviction = eviction.trim().toLowerCase(Locale.ROOT);
    keepAlive = keepAlive.trim().toLowerCase(Locale.ROOT);
    // Checked here so that a bad name fails before a long run, with the policy's own message.
    PlacementScorer.named(placement);
    EvictionPolicy.named(eviction);
    KeepAlivePolicy.named(keepAlive, keepAliveWindow);
  }

  public SimConfig withNodes(int n) {
    return new SimConfig(
        n,
        cacheBytesPerNode,
        instancesPerNode,
        placement,
        eviction,
        keepAlive,
        keepAliveWindow,
        prefetch,
        mode,
        seed,
        coresPerHost,
        nodesPerHost,
        peers);
  }

  public SimConfig withCache(long bytes) {
    return new SimConfig(
        nodes,
        bytes,
        instancesPerNode,
        placement,
        eviction,
        keepAlive,
        keepAliveWindow,
        prefetch,
        mode,
        seed,
        coresPerHost,
        nodesPerHost,
        peers);
  }

  public SimConfig withPolicies(
      String placement, String eviction, String keepAlive, boolean prefetch) {
    return new SimConfig(
        nodes,
        cacheBytesPerNode,
        instancesPerNode,
        placement,
        eviction,
        keepAlive,
        keepAliveWindow,
        prefetch,
        mode,
        seed,
        coresPerHost,
        nodesPerHost,
        peers);
  }

  /** This cluster with {@code cores} per host shared by {@code nodesPerHost} nodes each. */
  public SimConfig withCores(int cores, int nodesPerHost) {
    return new SimConfig(
        nodes,
        cacheBytesPerNode,
        instancesPerNode,
        placement,
        eviction,
        keepAlive,
        keepAliveWindow,
        prefetch,
        mode,
        seed,
        cores,
        nodesPerHost,
        peers);
  }

  /** This cluster with {@code p} as its peers. */
  public SimConfig withPeers(Peers p) {
    return new SimConfig(
        nodes,
        cacheBytesPerNode,
        instancesPerNode,
        placement,
        eviction,
        keepAlive,
        keepAliveWindow,
        prefetch,
        mode,
        seed,
        coresPerHost,
        nodesPerHost,
        p);
  }

  /** Hosts the nodes run on. */
  public int hosts() {
    return (nodes + nodesPerHost - 1) / nodesPerHost;
  }

  /** The policies in a few words: {@code snapshot-aware, gdsf, hybrid, prefetch, peers}. */
  public String label() {
    return placement
        + ", "
        + eviction
        + ", "
        + KeepAlivePolicy.named(keepAlive, keepAliveWindow).label()
        + (prefetch ? ", prefetch" : "")
        + (peers.enabled() ? ", peers" : "");
  }
}
