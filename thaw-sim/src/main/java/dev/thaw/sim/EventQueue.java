package dev.thaw.sim;

import java.util.Arrays;

/**
 * A 4-ary min-heap of events keyed by time (half the depth of a binary heap, and a node's children
 * share a cache line), each a primitive payload: no object per event, so a day of fifty million
 * invocations allocates nothing here once the arrays have grown. Equal times come out in no
 * particular order. A payload packs an event's type (3 bits), index (29 bits: an instance, a
 * function or a host) and generation (32 bits), which tells a stale event from a current one.
 */
final class EventQueue {
  private long[] times = new long[1 << 12];
  private long[] payloads = new long[1 << 12];
  private int size;

  static long payload(int type, int index, int generation) {
    return (long) generation << 32 | (long) index << 3 | type;
  }

  static int type(long payload) {
    return (int) (payload & 7);
  }

  static int index(long payload) {
    return (int) ((payload >>> 3) & 0x1FFFFFFF);
  }

  static int generation(long payload) {
    return (int) (payload >>> 32);
  }

  void push(long time, long payload) {
    if (size == times.length) {
      times = Arrays.copyOf(times, size * 2);
      payloads = Arrays.copyOf(payloads, size * 2);
    }
    int i = size++;
    while (i > 0) {
      int parent = (i - 1) >>> 2;
      if (times[parent] <= time) {
        break;
      }
      times[i] = times[parent];
      payloads[i] = payloads[parent];
      i = parent;
    }
    times[i] = time;
    payloads[i] = payload;
  }

  boolean isEmpty() {
    return size == 0;
  }

  int size() {
    return size;
  }

  /** Time of the earliest event; the queue must not be empty. */
  long peekTime() {
    return times[0];
  }

  /** Payload of the earliest event; the queue must not be empty. */
  long peekPayload() {
    return payloads[0];
  }

  /** Removes the earliest event. */
  void pop() {
    int last = --size;
    if (last == 0) {
      return;
    }
    long t = times[last];
    long p = payloads[last];
    int i = 0;
    while (true) {
      int first = 4 * i + 1;
      if (first >= last) {
        break;
      }
      int child = first;
      int end = Math.min(first + 4, last);
      for (int k = first + 1; k < end; k++) {
        if (times[k] < times[child]) {
          child = k;
        }
      }
      if (times[child] >= t) {
        break;
      }
      times[i] = times[child];
      payloads[i] = payloads[child];
      i = child;
    }
    times[i] = t;
    payloads[i] = p;
  }
}
