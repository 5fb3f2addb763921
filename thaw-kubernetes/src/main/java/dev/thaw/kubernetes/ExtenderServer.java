package dev.thaw.kubernetes;

import dev.thaw.http.HttpAnswer;
import dev.thaw.http.HttpCall;
import dev.thaw.http.HttpEdge;
import dev.thaw.http.HttpRefusal;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The extender's HTTP endpoint, on Thaw's HTTP edge: {@code POST /prioritize}, {@code GET /healthz}
 * (alive: answers as soon as the process serves), {@code GET /readyz} (ready once the informer has
 * synced, else 503 with the reason) and {@code GET /metrics} (Prometheus text).
 *
 * <p>Request bodies are read without holding a thread and bounded; a client that stops sending is
 * cut off after the read timeout, so slow or stalled clients cannot starve {@code /prioritize} or
 * the probes.
 *
 * <p>Until the informer has synced, {@code /prioritize} answers 503 with the reason rather than
 * scores: kube-scheduler ignores a failed prioritize call (the extender gives no score, its plugins
 * decide), whereas neutral scores would look like a verdict that no node caches the revision.
 */
public final class ExtenderServer implements AutoCloseable {
  /** Whether the extender's view of the cluster is usable. */
  @FunctionalInterface
  public interface Readiness {
    /** Empty when ready; else why not, in one line. */
    Optional<String> notReadyReason();
  }

  private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

  private final SnapshotLocalityExtender extender;
  private final Readiness readiness;
  private final HttpEdge edge;
  private final PrometheusMeterRegistry meters =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Counter requests = meters.counter("thaw.extender.prioritize.requests");
  private final Counter failures = meters.counter("thaw.extender.prioritize.failures");
  private final Counter unready = meters.counter("thaw.extender.prioritize.unready");
  private final Timer latency = meters.timer("thaw.extender.prioritize");

  private ExtenderServer(Builder b) throws IOException {
    this.extender = b.extender;
    this.readiness = b.readiness;
    Gauge.builder("thaw.extender.ready", () -> readiness.notReadyReason().isEmpty() ? 1 : 0)
        .description("1 once the informer has synced")
        .register(meters);
    this.edge =
        HttpEdge.builder("thaw-extender")
            .tcp(b.host, b.port)
            .idleTimeout(b.readTimeout)
            .maxBodyBytes(b.maxBodyBytes)
            .route("POST", "/prioritize", this::prioritize)
            .route("GET", "/healthz", c -> HttpAnswer.json(200, Map.of("status", "ok")))
            .route("GET", "/readyz", c -> readyz())
            .route("GET", "/metrics", c -> HttpAnswer.text(200, PROMETHEUS_TEXT, meters.scrape()))
            .start();
  }

  /**
   * A server for {@code extender}, ready when {@code readiness} says so; listens on 127.0.0.1, any
   * free port, until told otherwise.
   */
  public static Builder builder(SnapshotLocalityExtender extender, Readiness readiness) {
    return new Builder(extender, readiness);
  }

  /** Where it serves, e.g. {@code http://127.0.0.1:8888}. */
  public URI uri() {
    return edge.uri();
  }

  private HttpAnswer prioritize(HttpCall call) {
    requests.increment();
    Optional<String> notReady = readiness.notReadyReason();
    if (notReady.isPresent()) {
      unready.increment();
      throw new HttpRefusal(503, "extender not ready: " + notReady.get());
    }
    long t0 = System.nanoTime();
    String answer;
    try {
      answer = extender.prioritize(call.bodyText());
    } catch (RuntimeException e) {
      // The scheduler ignores prioritize errors; say what was wrong for whoever reads its logs.
      failures.increment();
      throw new HttpRefusal(400, "cannot read the prioritize request: " + firstLine(e), e);
    }
    latency.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
    return HttpAnswer.text(200, "application/json", answer);
  }

  private HttpAnswer readyz() {
    Optional<String> notReady = readiness.notReadyReason();
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("ready", notReady.isEmpty());
    notReady.ifPresent(reason -> body.put("reason", reason));
    return HttpAnswer.json(notReady.isEmpty() ? 200 : 503, body);
  }

  private static String firstLine(RuntimeException e) {
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }

  @Override
  public void close() {
    edge.close();
  }

  /** Builder: 127.0.0.1, any free port, 30 s read timeout, 16 MiB bodies. */
  public static final class Builder {
    private final SnapshotLocalityExtender extender;
    private final Readiness readiness;
    private String host = "127.0.0.1";
    private int port;
    private Duration readTimeout = Duration.ofSeconds(30);
    private long maxBodyBytes = 16L << 20;

    private Builder(SnapshotLocalityExtender extender, Readiness readiness) {
      this.extender = Objects.requireNonNull(extender, "extender");
      this.readiness = Objects.requireNonNull(readiness, "readiness");
    }

    /** Where to listen; in a pod, 0.0.0.0 behind a Service. Port 0 picks a free one. */
    public Builder listen(String host, int port) {
      this.host = Objects.requireNonNull(host, "host");
      this.port = port;
      return this;
    }

    /**
     * How long a connection may stay silent, mid-request or between requests, before it is closed.
     */
    public Builder readTimeout(Duration readTimeout) {
      if (readTimeout.isNegative() || readTimeout.isZero()) {
        throw new IllegalArgumentException("read timeout must be positive: " + readTimeout);
      }
      this.readTimeout = readTimeout;
      return this;
    }

    /**
     * Longest prioritize request accepted (413 beyond); with {@code nodeCacheCapable: true} the
     * scheduler sends node names only, far below the default.
     */
    public Builder maxBodyBytes(long maxBodyBytes) {
      this.maxBodyBytes = maxBodyBytes;
      return this;
    }

    /** Starts serving. */
    public ExtenderServer start() throws IOException {
      return new ExtenderServer(this);
    }
  }
}
