package dev.thaw.node.snapshot.cache;

/**
 * A bound on how fast a background read goes, in bytes per second: after reading {@code n} bytes in
 * {@code t}, the reader waits until {@code n} bytes took at least {@code n / rate}. Pure: the
 * reader measures and sleeps.
 *
 * @param bytesPerSecond the bound, positive
 */
record ReadRate(long bytesPerSecond) {
  ReadRate {
    if (bytesPerSecond <= 0) {
      throw new IllegalArgumentException("read rate must be positive: " + bytesPerSecond);
    }
  }

  /**
   * How long to wait, in nanoseconds, after {@code bytesRead} bytes were read in {@code
   * elapsedNanos}; zero when the read is not ahead of the rate.
   */
  long waitNanos(long bytesRead, long elapsedNanos) {
    // bytes * 1e9 overflows a long past 9 GB: go through double, exact enough for a pause.
    long due = (long) (bytesRead * 1e9 / bytesPerSecond);
    return Math.max(0, due - elapsedNanos);
  }
}
