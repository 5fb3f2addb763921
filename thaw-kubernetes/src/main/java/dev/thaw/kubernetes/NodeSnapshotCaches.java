package dev.thaw.kubernetes;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.Set;
import java.util.function.Function;

/**
 * Every node's cached revisions, from an informer: one watch for the cluster, no API call per
 * scheduling request.
 */
public final class NodeSnapshotCaches implements Function<String, Set<String>>, AutoCloseable {
  private final SharedIndexInformer<NodeSnapshotCache> informer;

  private NodeSnapshotCaches(SharedIndexInformer<NodeSnapshotCache> informer) {
    this.informer = informer;
  }

  /** Starts the informer; {@link #synced()} tells when its first list has arrived. */
  public static NodeSnapshotCaches start(KubernetesClient client) {
    return new NodeSnapshotCaches(client.resources(NodeSnapshotCache.class).inform());
  }

  @Override
  public Set<String> apply(String node) {
    NodeSnapshotCache c = informer.getStore().getByKey(node);
    if (c == null || c.getSpec() == null || c.getSpec().getSnapshots() == null) {
      return Set.of();
    }
    return Set.copyOf(c.getSpec().getSnapshots());
  }

  public boolean synced() {
    return informer.hasSynced();
  }

  @Override
  public void close() {
    informer.close();
  }
}
