package dev.thaw.core.snapshot;

import java.util.HashMap;
import java.util.Map;

/**
 * How much two chunked snapshots share, by their distinct non-zero chunks ({@link
 * SnapshotManifest#chunks()}): what a node caching {@code other} need not fetch to restore {@code
 * restored}, and what storing both costs against storing each whole. Zero chunks are never stored
 * nor fetched, so they count on neither side.
 *
 * @param nonZeroBytes bytes of the restored snapshot's distinct non-zero chunks
 * @param sharedBytes of those, bytes whose chunk the other snapshot also has
 * @param ratio sharedBytes ÷ nonZeroBytes
 * @param storedOnceRatio both snapshots' non-zero bytes ÷ the bytes of their distinct chunks
 */
public record ChunkDedup(
    long nonZeroBytes, long sharedBytes, double ratio, double storedOnceRatio) {

  /** What {@code restored} shares with {@code other}. */
  public static ChunkDedup between(SnapshotManifest restored, SnapshotManifest other) {
    Map<String, Integer> ca = restored.chunks();
    Map<String, Integer> cb = other.chunks();
    long nonZero = sum(ca);
    long shared =
        ca.entrySet().stream()
            .filter(e -> cb.containsKey(e.getKey()))
            .mapToLong(Map.Entry::getValue)
            .sum();
    Map<String, Integer> union = new HashMap<>(ca);
    union.putAll(cb);
    long both = nonZero + sum(cb);
    return new ChunkDedup(nonZero, shared, (double) shared / nonZero, (double) both / sum(union));
  }

  private static long sum(Map<String, Integer> chunks) {
    return chunks.values().stream().mapToLong(Integer::longValue).sum();
  }
}
