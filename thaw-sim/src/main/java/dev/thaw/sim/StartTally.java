package dev.thaw.sim;

import java.util.Locale;

/**
 * What a simulated run counts as it goes: invocations by how they started, the modelled start
 * latencies (of all invocations and of cold starts), fetches from remote storage and from peers
 * (requests and bytes), and the memory-time of idle instances; at the end, the run's {@link
 * SimResult}.
 */
final class StartTally {
  private final LatencyHistogram latencies = new LatencyHistogram();
  private final LatencyHistogram coldStarts = new LatencyHistogram();
  private long invocations;
  private long warm;
  private long localRestores;
  private long remoteRestores;
  private long boots;
  private long rejected;
  private long prewarms;
  private long prefetches;
  private long remoteBytes;
  private long storageRequests;
  private long peerRequests;
  private long peerFetches;
  private long peerBytes;
  private double idleMibMillis;

  void invocation() {
    invocations++;
  }

  /** An invocation served by an idle instance in {@code ms}. */
  void warm(double ms) {
    warm++;
    latencies.add(ms);
  }

  /** An invocation no node could take. */
  void rejected() {
    rejected++;
  }

  /** A start from {@code source}: ahead of an invocation (a pre-warm), or a cold start. */
  void started(SnapshotLocations.Source source, boolean ahead) {
    if (ahead) {
      prewarms++;
    } else if (source == SnapshotLocations.Source.LOCAL) {
      localRestores++;
    } else if (source == SnapshotLocations.Source.REMOTE) {
      remoteRestores++;
    } else {
      boots++;
    }
  }

  /** A cold start's latency, from arrival to the instance taking the invocation. */
  void startLatency(double ms) {
    latencies.add(ms);
    coldStarts.add(ms);
  }

  void prefetched() {
    prefetches++;
  }

  /** A fetch of {@code bytes} from remote storage in {@code requests}. */
  void storageFetched(long bytes, int requests) {
    remoteBytes += bytes;
    storageRequests += requests;
  }

  /** A reader asked a peer for a snapshot. */
  void peerAsked() {
    peerRequests++;
  }

  /** A peer served a fetch of {@code bytes}. */
  void peerFetched(long bytes) {
    peerFetches++;
    peerBytes += bytes;
  }

  /** An instance of {@code guestMib} that was idle for {@code millis}. */
  void idle(double guestMib, long millis) {
    idleMibMillis += guestMib * millis;
  }

  /** A progress line: where in the trace the run is, and how fast it goes. */
  String progress(String label, int minute, int minutes, double seconds) {
    return String.format(
        Locale.ROOT,
        "  %s: minute %d of %d, %,d invocations, %.0f s, %,.0f invocations/s",
        label,
        minute,
        minutes,
        invocations,
        seconds,
        invocations / seconds);
  }

  SimResult result(SimConfig c, double wallSeconds) {
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
        new SimResult.Fetches(
            storageRequests,
            peerRequests,
            peerFetches,
            peerBytes,
            coldStarts.percentile(50),
            coldStarts.percentile(99)),
        wallSeconds);
  }
}
