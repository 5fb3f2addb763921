package dev.thaw.sim;

import java.util.Random;

/**
 * Nodes bucketed by how many instances they run, so the least loaded node — the one a
 * load-spreading scorer ranks first, a random one of them on a tie as the gateway shuffles ties —
 * is found without scoring every node. O(1) updates, O(capacity) lookups.
 */
final class LoadIndex {
  private final int capacity;
  private final int[][] buckets;
  private final int[] sizes;
  private final int[] position;
  private final int[] active;

  LoadIndex(int nodes, int capacity) {
    this.capacity = capacity;
    this.buckets = new int[capacity + 1][];
    this.sizes = new int[capacity + 1];
    this.position = new int[nodes];
    this.active = new int[nodes];
    for (int a = 0; a <= capacity; a++) {
      buckets[a] = new int[a == 0 ? nodes : 16];
    }
    for (int n = 0; n < nodes; n++) {
      buckets[0][n] = n;
      position[n] = n;
    }
    sizes[0] = nodes;
  }

  int active(int node) {
    return active[node];
  }

  int capacity() {
    return capacity;
  }

  /** Share of the node's capacity in use, as placement sees it. */
  double load(int node) {
    return (double) active[node] / capacity;
  }

  boolean full(int node) {
    return active[node] >= capacity;
  }

  void add(int node, int delta) {
    int from = active[node];
    int to = from + delta;
    if (to < 0 || to > capacity) {
      throw new IllegalStateException("node " + node + " would run " + to + " instances");
    }
    // Out of the old bucket: the last member takes the node's place.
    int[] b = buckets[from];
    int last = b[--sizes[from]];
    b[position[node]] = last;
    position[last] = position[node];
    // Into the new one.
    if (sizes[to] == buckets[to].length) {
      buckets[to] = java.util.Arrays.copyOf(buckets[to], buckets[to].length * 2);
    }
    position[node] = sizes[to];
    buckets[to][sizes[to]++] = node;
    active[node] = to;
  }

  /** A random node among the least loaded ones with room; -1 when every node is full. */
  int leastLoaded(Random random) {
    for (int a = 0; a < capacity; a++) {
      if (sizes[a] > 0) {
        return buckets[a][random.nextInt(sizes[a])];
      }
    }
    return -1;
  }

  /** Members of the bucket of full nodes, for the caller to scan; sizes given by {@link #full}. */
  int fullCount() {
    return sizes[capacity];
  }

  int fullNode(int k) {
    return buckets[capacity][k];
  }
}
