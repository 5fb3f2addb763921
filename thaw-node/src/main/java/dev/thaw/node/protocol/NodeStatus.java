package dev.thaw.node.protocol;

/**
 * What an agent's {@code GET /health} reports.
 *
 * @param status {@code ok} while the agent serves
 * @param node the node's name
 * @param maxInstances instances it runs at once
 * @param activeInstances instances running or starting now
 */
public record NodeStatus(String status, String node, int maxInstances, int activeInstances) {}
