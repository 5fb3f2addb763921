package dev.thaw.node.protocol;

import java.util.List;
import java.util.Map;

/**
 * What an agent's {@code GET /health} reports.
 *
 * @param status {@code ok} while the agent serves
 * @param node the node's name
 * @param maxInstances instances it runs at once
 * @param activeInstances instances running or starting now
 * @param busyInstances those of them serving an invocation, starting, or being snapshotted: the
 *     others are idle, and a cold start stops one to make room when the node is full
 * @param snapshotMode {@code disabled}, {@code local} or {@code remote}; null from an agent that
 *     does not say
 * @param revisions per revision with an instance, a clone or a measurement here, what placement by
 *     expected time needs; empty from an agent that does not say
 * @param manifests per revision whose snapshot this node made, the SHA-256 of its manifest as
 *     storage keeps it: the gateway hands it to the nodes that restore the snapshot (see {@link
 *     dev.thaw.node.snapshot.fill.ManifestDigest}); empty from an agent that does not say
 */
public record NodeStatus(
    String status,
    String node,
    int maxInstances,
    int activeInstances,
    int busyInstances,
    String snapshotMode,
    List<RevisionLoad> revisions,
    Map<String, String> manifests) {
  public NodeStatus {
    revisions = revisions == null ? List.of() : List.copyOf(revisions);
    manifests = manifests == null ? Map.of() : Map.copyOf(manifests);
  }

  /** A status without the figures of placement by expected time. */
  public NodeStatus(
      String status, String node, int maxInstances, int activeInstances, int busyInstances) {
    this(status, node, maxInstances, activeInstances, busyInstances, null, List.of(), Map.of());
  }

  /** Whether the node restores snapshots from remote storage. */
  public boolean remoteSnapshots() {
    return "remote".equals(snapshotMode);
  }
}
