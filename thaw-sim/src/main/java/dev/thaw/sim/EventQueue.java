package dev.thaw.sim;

import java.util.Arrays;

/**
 * A binary min-heap of events keyed by time, each a primitive payload: no object per event, so a
 * day of fifty million invocations allocates nothing here once the arrays have grown. Equal times
 * come out in no particular order.
 */
final class EventQueue {
  private long[] times = new long[1 << 12];
  private long[] payloads = new long[1 << 12];
  private int size;

  void push(long time, long payload) {
    if (size == times.length) {
      times = Arrays.copyOf(times, size * 2);
      payloads = Arrays.copyOf(payloads, size * 2);
    }
    int i = size++;
    while (i > 0) {
      int parent = (i - 1) >>> 1;
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
      int child = 2 * i + 1;
      if (child >= last) {
        break;
      }
      if (child + 1 < last && times[child + 1] < times[child]) {
        child++;
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
