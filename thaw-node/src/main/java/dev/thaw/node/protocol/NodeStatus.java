package dev.thaw.node.protocol;

/**
 * What an agent's {@code GET /health} reports.
 *
 * @param status {@code ok} while the agent serves
 * @param node the node's name
 * @param maxInstances instances it runs at once
 * @param activeInstances instances running or starting now
 * @param busyInstances those of them serving an invocation, starting, or being snapshotted: the
 *     others are idle, and a cold start stops one to make room when the node is full
 */
public record NodeStatus(
    String status, String node, int maxInstances, int activeInstances, int busyInstances) {}
