package dev.thaw.kubernetes;

import dev.thaw.core.cache.CacheAdvertiser;
import dev.thaw.core.concurrent.DaemonThreads;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes this node's cached revisions as its {@link NodeSnapshotCache} object.
 *
 * <ul>
 *   <li>Desired state: every write carries the whole set, so a lost write is repaired by the next
 *       one, and a restarted agent reconciles by writing what it has.
 *   <li>Coalescing: {@link #advertise} only records the latest set and returns at once; one
 *       background writer sends the latest set, so a burst of cache changes is one write and no
 *       restore or commit ever waits for the API server.
 *   <li>Conflicts (409) are retried with a fresh resourceVersion; while the API server is
 *       unreachable the writer retries with backoff and logs once, until it succeeds.
 * </ul>
 */
public final class KubernetesCacheAdvertiser implements CacheAdvertiser, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(KubernetesCacheAdvertiser.class);

  private final KubernetesClient client;
  private final String nodeName;
  private final Duration maxBackoff;
  private final AtomicReference<Set<String>> pending = new AtomicReference<>();
  private final ScheduledExecutorService writer =
      Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("thaw-cache-advertiser"));
  private volatile Set<String> published;
  private volatile Set<String> wanted;
  private volatile URI peerUrl;
  private volatile boolean failing;
  private long backoffMillis = 100;

  public KubernetesCacheAdvertiser(KubernetesClient client, String nodeName) {
    this(client, nodeName, Duration.ofSeconds(30));
  }

  KubernetesCacheAdvertiser(KubernetesClient client, String nodeName, Duration maxBackoff) {
    this.client = Objects.requireNonNull(client);
    this.nodeName = Objects.requireNonNull(nodeName);
    this.maxBackoff = maxBackoff;
  }

  @Override
  public void advertise(Set<String> revisions) {
    wanted = new TreeSet<>(revisions);
    if (pending.getAndSet(wanted) == null) {
      writer.execute(this::flush);
    }
  }

  /**
   * Publishes {@code uri} as this node's {@code spec.peerUrl} with every write from now on (at once
   * when a set was already advertised): where the other agents read its chunks.
   */
  public void peerUrl(URI uri) {
    peerUrl = Objects.requireNonNull(uri, "uri");
    Set<String> last = wanted;
    if (last != null) {
      advertise(last);
    }
  }

  /** The set the API server last accepted, or null before the first success. */
  public Set<String> published() {
    return published;
  }

  private void flush() {
    Set<String> latest = pending.getAndSet(null);
    if (latest == null) {
      return;
    }
    try {
      write(latest);
      published = latest;
      backoffMillis = 100;
      if (failing) {
        failing = false;
        log.info("cache advertisement for {} reaches the API server again", nodeName);
      }
    } catch (KubernetesClientException e) {
      if (!failing) {
        failing = true;
        log.warn(
            "cannot advertise the cache of {} ({}); retrying in the background",
            nodeName,
            e.getMessage());
      }
      // Keep the newest set: a newer advertise() may have replaced it meanwhile.
      if (pending.compareAndSet(null, latest)) {
        writer.schedule(this::flush, backoffMillis, TimeUnit.MILLISECONDS);
      }
      backoffMillis = Math.min(backoffMillis * 2, maxBackoff.toMillis());
      return;
    }
    if (pending.get() != null) {
      writer.execute(this::flush);
    }
  }

  /** Creates or updates the object, retrying a conflict with the current resourceVersion. */
  private void write(Set<String> revisions) {
    for (int attempt = 1; ; attempt++) {
      var resource = client.resources(NodeSnapshotCache.class).withName(nodeName);
      NodeSnapshotCache current = resource.get();
      NodeSnapshotCache desired = current != null ? current : fresh();
      desired.getSpec().setNodeName(nodeName);
      desired.getSpec().setSnapshots(new ArrayList<>(revisions));
      if (peerUrl != null) {
        desired.getSpec().setPeerUrl(peerUrl.toString());
      }
      try {
        if (current == null) {
          client.resources(NodeSnapshotCache.class).resource(desired).create();
        } else {
          client.resources(NodeSnapshotCache.class).resource(desired).update();
        }
        return;
      } catch (KubernetesClientException e) {
        boolean retry = (e.getCode() == 409) && attempt < 5;
        if (!retry) {
          throw e;
        }
      }
    }
  }

  private NodeSnapshotCache fresh() {
    NodeSnapshotCache c = new NodeSnapshotCache();
    c.setMetadata(new ObjectMetaBuilder().withName(nodeName).build());
    c.setSpec(new NodeSnapshotCache.Spec());
    return c;
  }

  /** Waits up to {@code timeout} for pending writes, then stops. */
  @Override
  public void close() throws InterruptedException {
    writer.shutdown();
    writer.awaitTermination(5, TimeUnit.SECONDS);
  }
}
