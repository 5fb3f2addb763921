package dev.thaw.node.snapshot.fill;

import java.time.Duration;

/**
 * What a read of remote storage costs, measured on the reads the store source makes (moving
 * averages of a request's time and of the chunk bytes it carries), and hence how long a peer may
 * take over a chunk before storage would have been quicker: {@code max(floor, t × max(1, n ÷ b))}
 * for {@code n} bytes, with {@code t} the average request time and {@code b} its average bytes.
 * Until a read has been measured, a chunk may take {@link #UNMEASURED} (or the floor, if longer).
 *
 * <p>One per node, so that a fill starts from what earlier fills measured.
 */
public final class StorageCost {
  /** Weight of a new sample in the averages. */
  private static final double ALPHA = 0.2;

  /**
   * A peer's deadline before storage has been measured: short, since a node's first remote restore
   * waits for it before it asks storage (at 1 s, the demo's first restores on a busy machine took
   * 1–2 s whenever the peer, itself uploading, was slow to hand over a restore's start).
   */
  static final Duration UNMEASURED = Duration.ofMillis(250);

  private final long floorNanos;
  private double nanosPerRequest;
  private double bytesPerRequest;
  private boolean measured;

  /**
   * @param floor the least a peer is given for a chunk, however quick storage is
   */
  public StorageCost(Duration floor) {
    this.floorNanos = floor.toNanos();
  }

  /** A read of storage that carried {@code bytes} of chunks took {@code nanos}. */
  synchronized void measured(long bytes, long nanos) {
    if (bytes <= 0 || nanos <= 0) {
      return;
    }
    if (!measured) {
      nanosPerRequest = nanos;
      bytesPerRequest = bytes;
      measured = true;
      return;
    }
    nanosPerRequest += ALPHA * (nanos - nanosPerRequest);
    bytesPerRequest += ALPHA * (bytes - bytesPerRequest);
  }

  /** How long a peer may take over {@code bytes} of chunks. */
  synchronized Duration deadline(long bytes) {
    if (!measured) {
      return Duration.ofNanos(Math.max(floorNanos, UNMEASURED.toNanos()));
    }
    double cost = nanosPerRequest * Math.max(1.0, bytes / bytesPerRequest);
    return Duration.ofNanos(Math.max(floorNanos, (long) cost));
  }
}
