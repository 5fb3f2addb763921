package dev.thaw.sim;

import java.util.Arrays;

/**
 * The idle instances, linked twice through the instance arrays: per function, most recently idle
 * first (the instance a warm invocation takes, as the agent's pool does), and per node, least
 * recently idle first (the one a full node stops to make room). O(1) to link, unlink and find.
 */
final class IdleLists {
  private final Instances in;
  private final int[] functionHead;
  private final int[] nodeHead;
  private final int[] nodeTail;
  private final int[] nodeCount;

  IdleLists(Instances instances, int functions, int nodes) {
    this.in = instances;
    this.functionHead = new int[functions];
    this.nodeHead = new int[nodes];
    this.nodeTail = new int[nodes];
    this.nodeCount = new int[nodes];
    Arrays.fill(functionHead, -1);
    Arrays.fill(nodeHead, -1);
    Arrays.fill(nodeTail, -1);
  }

  /** The most recently idle instance of function {@code f}, or -1. */
  int newestOf(int f) {
    return functionHead[f];
  }

  /** The least recently idle instance on {@code node}, or -1. */
  int oldestOn(int node) {
    return nodeHead[node];
  }

  int countOn(int node) {
    return nodeCount[node];
  }

  void link(int i) {
    int f = in.fn[i];
    int n = in.node[i];
    in.fnPrev[i] = -1;
    in.fnNext[i] = functionHead[f];
    if (functionHead[f] >= 0) {
      in.fnPrev[functionHead[f]] = i;
    }
    functionHead[f] = i;
    in.ndNext[i] = -1;
    in.ndPrev[i] = nodeTail[n];
    if (nodeTail[n] >= 0) {
      in.ndNext[nodeTail[n]] = i;
    } else {
      nodeHead[n] = i;
    }
    nodeTail[n] = i;
    nodeCount[n]++;
  }

  void unlink(int i) {
    int f = in.fn[i];
    int n = in.node[i];
    if (in.fnPrev[i] >= 0) {
      in.fnNext[in.fnPrev[i]] = in.fnNext[i];
    } else {
      functionHead[f] = in.fnNext[i];
    }
    if (in.fnNext[i] >= 0) {
      in.fnPrev[in.fnNext[i]] = in.fnPrev[i];
    }
    if (in.ndPrev[i] >= 0) {
      in.ndNext[in.ndPrev[i]] = in.ndNext[i];
    } else {
      nodeHead[n] = in.ndNext[i];
    }
    if (in.ndNext[i] >= 0) {
      in.ndPrev[in.ndNext[i]] = in.ndPrev[i];
    } else {
      nodeTail[n] = in.ndPrev[i];
    }
    nodeCount[n]--;
  }
}
