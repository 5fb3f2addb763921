package dev.thaw.sim;

/**
 * What one simulated run counted.
 *
 * @param configuration the policies, as {@link SimConfig#label()} says them
 * @param nodes nodes simulated
 * @param cacheBytesPerNode each node's cache bound
 * @param invocations invocations replayed
 * @param warm served by an idle instance
 * @param localRestores cold starts restored from the node's cache
 * @param remoteRestores cold starts restored from remote storage
 * @param boots cold starts that booted
 * @param rejected invocations no node could take (every instance of every node busy)
 * @param prewarms instances started ahead of an invocation by the keep-alive policy
 * @param prefetches snapshots fetched ahead into a node's cache
 * @param remoteBytes bytes read from remote storage (restores, pre-warms and prefetches)
 * @param p50StartMs modelled start latency of all invocations, median
 * @param p99StartMs the same, 99th percentile
 * @param idleGibHours memory-time of idle warm instances, GiB × hours
 * @param fetches requests to storage and peers, and cold-start latencies
 * @param wallSeconds how long the simulation took on this machine
 */
public record SimResult(
    String configuration,
    int nodes,
    long cacheBytesPerNode,
    long invocations,
    long warm,
    long localRestores,
    long remoteRestores,
    long boots,
    long rejected,
    long prewarms,
    long prefetches,
    long remoteBytes,
    double p50StartMs,
    double p99StartMs,
    double idleGibHours,
    Fetches fetches,
    double wallSeconds) {

  /**
   * Where the fetches of snapshots went ({@link PeerFetches}), and the cold starts' latencies.
   *
   * @param storageRequests requests to remote storage (manifest, pack index and ranged reads:
   *     {@link StorageRequests})
   * @param peerRequests peers asked for a snapshot, those that refused (at their bound) included
   * @param peerFetches fetches a peer served
   * @param peerBytes bytes peers sent
   * @param p50ColdStartMs modelled latency of cold starts (invocations no idle instance took),
   *     median, with a peer's transfer time in place of storage's where a peer served the fetch
   * @param p99ColdStartMs the same, 99th percentile
   */
  public record Fetches(
      long storageRequests,
      long peerRequests,
      long peerFetches,
      long peerBytes,
      double p50ColdStartMs,
      double p99ColdStartMs) {}

  /** Share of restores that came from the node's own cache, 0..1 (0 when there were none). */
  public double localHitShare() {
    long restores = localRestores + remoteRestores;
    return restores == 0 ? 0 : (double) localRestores / restores;
  }

  /** Simulated invocations per second of wall time. */
  public double invocationsPerSecond() {
    return wallSeconds <= 0 ? 0 : invocations / wallSeconds;
  }
}
