package dev.thaw.kubernetes;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every node's cached revisions, from an informer: one watch for the cluster, no API call per
 * scheduling request.
 *
 * <p>{@link #start} returns at once, whether or not the API server can be reached: the informer
 * lists and watches in the background and retries (with backoff) for as long as it takes, so the
 * extender serves its health endpoints from the first second. Until the first list has arrived
 * {@link #notReadyReason()} says why the view is not usable yet.
 */
public final class NodeSnapshotCaches
    implements Function<String, Set<String>>, ExtenderServer.Readiness, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NodeSnapshotCaches.class);

  private final SharedIndexInformer<NodeSnapshotCache> informer;
  private final String apiServer;
  private volatile String lastFailure;

  private NodeSnapshotCaches(SharedIndexInformer<NodeSnapshotCache> informer, String apiServer) {
    this.informer = informer;
    this.apiServer = apiServer;
  }

  /**
   * Starts the informer without waiting for it: {@link #synced()} tells when its first list has
   * arrived. Failures to list or watch are retried until {@link #close()}.
   */
  public static NodeSnapshotCaches start(KubernetesClient client) {
    SharedIndexInformer<NodeSnapshotCache> informer =
        client.resources(NodeSnapshotCache.class).runnableInformer(0);
    NodeSnapshotCaches caches =
        new NodeSnapshotCaches(informer, String.valueOf(client.getMasterUrl()));
    informer.exceptionHandler(caches::retryAfter);
    informer.start();
    return caches;
  }

  /** Records the failure and asks the informer to retry: giving up would never serve again. */
  private boolean retryAfter(boolean started, Throwable failure) {
    String reason = describe(failure);
    if (!Objects.equals(reason, lastFailure)) {
      log.warn(
          "event=informer_failed api={} synced={} reason=\"{}\" (retrying)",
          apiServer,
          started,
          reason);
    }
    lastFailure = reason;
    return true;
  }

  /** The innermost cause that says something ("Connection refused"), with its type. */
  static String describe(Throwable failure) {
    Throwable t = failure;
    String message = t.getMessage();
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
      if (t.getMessage() != null && !t.getMessage().isBlank()) {
        message = t.getClass().getSimpleName() + ": " + t.getMessage();
      }
    }
    return message == null ? failure.getClass().getSimpleName() : message;
  }

  @Override
  public Set<String> apply(String node) {
    NodeSnapshotCache c = informer.getStore().getByKey(node);
    if (c == null || c.getSpec() == null || c.getSpec().getSnapshots() == null) {
      return Set.of();
    }
    return Set.copyOf(c.getSpec().getSnapshots());
  }

  /** Whether the informer's first list has arrived. */
  public boolean synced() {
    return informer.hasSynced();
  }

  /** Empty once synced; else why not, e.g. the API server refusing connections. */
  @Override
  public Optional<String> notReadyReason() {
    if (synced()) {
      return Optional.empty();
    }
    String failure = lastFailure;
    return Optional.of(
        failure == null
            ? "NodeSnapshotCache objects not yet listed from " + apiServer
            : "cannot list NodeSnapshotCache objects from " + apiServer + ": " + failure);
  }

  @Override
  public void close() {
    informer.close();
  }
}
