package dev.thaw.kubernetes;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
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
  private final Set<String> badUrls = ConcurrentHashMap.newKeySet();

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

  /**
   * The nodes whose objects list {@code revision} and carry a {@code peerUrl}, with that URL, by
   * node name: where an agent may read the revision's chunks before storage. An object whose URL is
   * not an absolute http(s) URL is left out (and logged once per value).
   */
  public SortedMap<String, URI> peersHolding(String revision) {
    SortedMap<String, URI> out = new TreeMap<>();
    for (NodeSnapshotCache c : informer.getStore().list()) {
      NodeSnapshotCache.Spec spec = c.getSpec();
      if (spec == null
          || spec.getPeerUrl() == null
          || spec.getSnapshots() == null
          || !spec.getSnapshots().contains(revision)) {
        continue;
      }
      String node = spec.getNodeName() != null ? spec.getNodeName() : c.getMetadata().getName();
      peerUrl(spec.getPeerUrl()).ifPresent(uri -> out.put(node, uri));
    }
    return out;
  }

  private Optional<URI> peerUrl(String value) {
    try {
      URI uri = new URI(value);
      if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
          && uri.getHost() != null) {
        return Optional.of(uri);
      }
    } catch (URISyntaxException e) {
      // refused below
    }
    if (badUrls.add(value)) {
      log.warn("event=bad_peer_url url=\"{}\" (not asked)", value);
    }
    return Optional.empty();
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
