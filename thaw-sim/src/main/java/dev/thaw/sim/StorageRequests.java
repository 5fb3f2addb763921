package dev.thaw.sim;

/**
 * How many requests one remote fetch of a chunked snapshot makes against storage, derived from the
 * bytes it reads there as the node's fetch makes them (docs/architecture/remote-storage.md): one
 * GET of the manifest, one of the pack index, and the ranged GETs of the pack. The chunks of a
 * fetch into an empty cache lie back to back in the pack (their file order), so the ranges are cut
 * by size alone: a range ends at {@code max(256 KiB, stored bytes ÷ 8 + 1)} ({@code
 * ChunkAssembler}'s runs with the agent's fetch parallelism of 8). Ranges end at whole chunks, so
 * the last may spill into one more; this counts {@code ceil(bytes ÷ range)}, at most one request
 * short per fetch.
 */
final class StorageRequests {
  /** The manifest and the pack index. */
  static final int METADATA = 2;

  /** {@code ChunkAssembler}'s smallest run. */
  static final long MIN_RANGE = 256 << 10;

  /** The agent's fetch parallelism ({@code SnapshotManager}'s default). */
  static final int PARALLELISM = 8;

  private StorageRequests() {}

  /** Requests of a fetch that reads {@code storedBytes} from storage. */
  static int perFetch(long storedBytes) {
    long range = Math.max(MIN_RANGE, storedBytes / PARALLELISM + 1);
    long ranges = Math.max(1, (storedBytes + range - 1) / range);
    return METADATA + (int) ranges;
  }
}
