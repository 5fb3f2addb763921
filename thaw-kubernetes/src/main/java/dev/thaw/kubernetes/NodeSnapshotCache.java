package dev.thaw.kubernetes;

import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * Which snapshots one node's cache holds: one cluster-scoped object per node, named after the node,
 * written by that node's agent (desired state: the whole set each time) and read by the scheduler
 * extender through an informer.
 *
 * <pre>
 * apiVersion: thaw.dev/v1alpha1
 * kind: NodeSnapshotCache
 * metadata:
 *   name: node-000
 * spec:
 *   nodeName: node-000
 *   snapshots: [hello-world-00001, image-resize-00001]
 *   peerUrl: http://10.244.1.7:8701
 * </pre>
 *
 * {@code peerUrl}, absent when the agent serves no peers, is where the other agents read the chunks
 * of the cached snapshots (the agent's peer edge, behind the peer token).
 *
 * <p>No status: the spec is the whole truth, and one write per change (no status subresource call)
 * keeps the agent's API traffic and RBAC minimal.
 */
@Group(NodeSnapshotCache.GROUP)
@Version(NodeSnapshotCache.VERSION)
@Kind("NodeSnapshotCache")
@Plural("nodesnapshotcaches")
public class NodeSnapshotCache extends CustomResource<NodeSnapshotCache.Spec, Void> {
  public static final String GROUP = "thaw.dev";
  public static final String VERSION = "v1alpha1";

  /** The node and its cached revisions. */
  public static class Spec {
    private String nodeName;
    private java.util.List<String> snapshots = new java.util.ArrayList<>();
    private String peerUrl;

    public String getNodeName() {
      return nodeName;
    }

    public void setNodeName(String nodeName) {
      this.nodeName = nodeName;
    }

    public java.util.List<String> getSnapshots() {
      return snapshots;
    }

    public void setSnapshots(java.util.List<String> snapshots) {
      this.snapshots = snapshots == null ? new java.util.ArrayList<>() : snapshots;
    }

    public String getPeerUrl() {
      return peerUrl;
    }

    public void setPeerUrl(String peerUrl) {
      this.peerUrl = peerUrl;
    }
  }
}
