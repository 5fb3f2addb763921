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

  /** A cluster of the {@link Builder}'s defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder that starts from this cluster. */
  public Builder toBuilder() {
    return new Builder()
        .nodes(nodes)
        .cacheBytesPerNode(cacheBytesPerNode)
        .instancesPerNode(instancesPerNode)
        .placement(placement)
        .eviction(eviction)
        .keepAlive(keepAlive)
        .keepAliveWindow(keepAliveWindow)
        .prefetch(prefetch)
        .mode(mode)
        .seed(seed)
        .cores(coresPerHost, nodesPerHost)
        .peers(peers);
  }

  /**
   * Builds a {@link SimConfig}; its defaults are one node of an agent's defaults (a 10 GiB cache, 8
   * instances, a fixed 10-minute keep-alive) in remote mode with {@code default} placement, {@code
   * lru} eviction, no prefetch, no peers, starts that do not contend for cores, and seed 1. The
   * record's constructor checks the values.
   */
  public static final class Builder {
    private int nodes = 1;
    private long cacheBytesPerNode = 10L << 30;
    private int instancesPerNode = 8;
    private String placement = "default";
    private String eviction = "lru";
    private String keepAlive = "fixed";
    private Duration keepAliveWindow = Duration.ofMinutes(10);
    private boolean prefetch;
    private SnapshotMode mode = SnapshotMode.REMOTE;
    private long seed = 1;
    private int coresPerHost;
    private int nodesPerHost = 1;
    private Peers peers = Peers.OFF;

    private Builder() {}

    public Builder nodes(int n) {
      nodes = n;
      return this;
    }

    public Builder cacheBytesPerNode(long bytes) {
      cacheBytesPerNode = bytes;
      return this;
    }

    public Builder instancesPerNode(int n) {
      instancesPerNode = n;
      return this;
    }

    public Builder placement(String name) {
      placement = name;
      return this;
    }

    public Builder eviction(String name) {
      eviction = name;
      return this;
    }

    public Builder keepAlive(String name) {
      keepAlive = name;
      return this;
    }

    public Builder keepAliveWindow(Duration window) {
      keepAliveWindow = window;
      return this;
    }

    public Builder prefetch(boolean on) {
      prefetch = on;
      return this;
    }

    public Builder mode(SnapshotMode m) {
      mode = m;
      return this;
    }

    public Builder seed(long s) {
      seed = s;
      return this;
    }

    /** {@code cores} per host (0: starts do not contend), shared by {@code nodesPerHost} nodes. */
    public Builder cores(int cores, int nodesPerHost) {
      this.coresPerHost = cores;
      this.nodesPerHost = nodesPerHost;
      return this;
    }

    public Builder peers(Peers p) {
      peers = p;
      return this;
    }

    public SimConfig build() {
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
