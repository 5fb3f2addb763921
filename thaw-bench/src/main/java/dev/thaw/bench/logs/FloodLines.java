package dev.thaw.bench.logs;

/**
 * What a node kept of a flood: the function writes numbered lines of {@value #LINE_BYTES} bytes,
 * and the node reads them at its rate and keeps them within its cap, so what it kept tells the rate
 * it read at and whether lines were lost between the first and the last kept.
 *
 * @param count flood lines kept
 * @param missing numbers between the first and the last kept with no line
 * @param first the first number kept
 * @param last the last number kept
 * @param spanNanos time between reading the first and the last line kept
 */
public record FloodLines(long count, long missing, long first, long last, long spanNanos) {
  /** Bytes of a flood line, its line break included. */
  public static final int LINE_BYTES = 100;

  /** No flood line kept. */
  public static final FloodLines NONE = new FloodLines(0, 0, 0, 0, 0);

  /** The time between the first and the last line kept, in seconds. */
  public double spanSeconds() {
    return spanNanos / 1e9;
  }

  /** The rate the node read the kept lines at, in MB (10^6 bytes) per second. */
  public double readMbPerSecond() {
    return count * LINE_BYTES / 1e6 / Math.max(1e-9, spanSeconds());
  }
}
