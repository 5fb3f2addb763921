package dev.thaw.sim;

import java.util.Arrays;

/**
 * The simulated instances as parallel primitive arrays, with a free list so that slots are reused:
 * a day of millions of cold starts needs arrays as large as the most instances alive at once. The
 * generation of a slot changes each time it is reused, so an event for an instance that has since
 * stopped is recognised and dropped.
 */
final class Instances {
  /** A free slot. */
  static final int FREE = 0;

  /** Starting, or serving an invocation. */
  static final int BUSY = 1;

  /** Kept warm, linked in {@link IdleLists}. */
  static final int IDLE = 2;

  /** Booted and answered; its snapshot is being made. */
  static final int SNAPSHOTTING = 3;

  int count;
  int[] fn = new int[1024];
  int[] node = new int[1024];
  int[] state = new int[1024];
  int[] gen = new int[1024];
  long[] idleSince = new long[1024];
  long[] expireAt = new long[1024];
  long[] pendingAt = new long[1024];
  boolean[] expiryPending = new boolean[1024];
  boolean[] needsSnapshot = new boolean[1024];
  long[] startedAt = new long[1024];
  long[] work = new long[1024];

  /**
   * How much sooner than modelled a peer's fetch would have made the start ({@link PeerFetches}).
   */
  double[] fetchSavedMs = new double[1024];

  int[] fnPrev = new int[1024];
  int[] fnNext = new int[1024];
  int[] ndPrev = new int[1024];
  int[] ndNext = new int[1024];
  private int[] free = new int[1024];
  private int freeCount;

  /** A live instance of function {@code f} on {@code n} ({@link #BUSY}); returns its slot. */
  int allocate(int f, int n) {
    int i;
    if (freeCount > 0) {
      i = free[--freeCount];
    } else {
      if (count == fn.length) {
        grow(count * 2);
      }
      i = count++;
    }
    fn[i] = f;
    node[i] = n;
    state[i] = BUSY;
    gen[i]++;
    expiryPending[i] = false;
    needsSnapshot[i] = false;
    return i;
  }

  /** Frees slot {@code i} ({@link #FREE}). */
  void release(int i) {
    state[i] = FREE;
    if (freeCount == free.length) {
      free = Arrays.copyOf(free, free.length * 2);
    }
    free[freeCount++] = i;
  }

  private void grow(int size) {
    fn = Arrays.copyOf(fn, size);
    node = Arrays.copyOf(node, size);
    state = Arrays.copyOf(state, size);
    gen = Arrays.copyOf(gen, size);
    idleSince = Arrays.copyOf(idleSince, size);
    expireAt = Arrays.copyOf(expireAt, size);
    pendingAt = Arrays.copyOf(pendingAt, size);
    expiryPending = Arrays.copyOf(expiryPending, size);
    needsSnapshot = Arrays.copyOf(needsSnapshot, size);
    startedAt = Arrays.copyOf(startedAt, size);
    work = Arrays.copyOf(work, size);
    fetchSavedMs = Arrays.copyOf(fetchSavedMs, size);
    fnPrev = Arrays.copyOf(fnPrev, size);
    fnNext = Arrays.copyOf(fnNext, size);
    ndPrev = Arrays.copyOf(ndPrev, size);
    ndNext = Arrays.copyOf(ndNext, size);
  }
}
