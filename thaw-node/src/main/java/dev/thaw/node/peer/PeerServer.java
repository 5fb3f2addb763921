package dev.thaw.node.peer;

import dev.thaw.core.function.Revision;
import dev.thaw.http.BearerToken;
import dev.thaw.http.HttpAnswer;
import dev.thaw.http.HttpCall;
import dev.thaw.http.HttpEdge;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.regex.Pattern;

/**
 * The agent's peer edge: its cached chunks served to the other agents of the cluster, read-only, on
 * an {@link HttpEdge} of its own (TCP only, no Unix socket), apart from the management API so that
 * on Kubernetes it can listen on the pod's address while the management API stays on 127.0.0.1, and
 * so that no token but the peer token opens it.
 *
 * <pre>
 *   GET /peer/chunks/{sha256}   the chunk's raw bytes (application/octet-stream), checked against
 *                               its name; 404 when not held here; 503 + Retry-After: 1 when
 *                               --peer-uploads uploads are under way; 400 unless 64 lower-case hex
 *   GET /peer/chunks?d=S1,S2,…  up to {@value #MAX_BATCH} chunks in one answer ({@link ChunkBatch}):
 *                               for each asked, in order, its length (4 bytes, big-endian; -1 when
 *                               not held here, or past {@value #MAX_BATCH_BYTES} bytes in all) and
 *                               its bytes; one upload of the bound; 503 and 400 as above
 *   GET /peer/starts/{revision} what a lazy restore reads before its guest resumes, in one answer
 *                               ({@link StartBundle}): from a committed entry, pinned while read;
 *                               404 when none here has one; 503 as above; 400 for a bad revision
 *   GET /peer/snapshots         {"node": NAME, "revisions": [...]}: the committed entries held
 * </pre>
 *
 * Every route asks for a peer token ({@link PeerTokens}) as {@code Authorization: Bearer}: 401 with
 * {@code WWW-Authenticate: Bearer} without it, with a wrong one, or with the management token,
 * before anything else is looked at. Meters: {@code thaw.peer.uploads{outcome=served|
 * missing|busy|refused}} and {@code thaw.peer.upload.bytes}.
 *
 * <p>The upload bound counts a chunk (or a start) from the moment it is looked up until its bytes
 * are handed to the edge (read from disk and hashed); the edge's thread pool bounds what is being
 * written.
 */
public final class PeerServer implements AutoCloseable {
  /** The peer port when {@code --peer-address} names a host only. */
  public static final int DEFAULT_PORT = 8701;

  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

  /** The most chunks one batch asks for. */
  public static final int MAX_BATCH = ChunkBatch.MAX_CHUNKS;

  /** The most chunk bytes one batch answer carries. */
  public static final int MAX_BATCH_BYTES = ChunkBatch.MAX_BYTES;

  private final String node;
  private final PeerTokens tokens;
  private final HeldChunks chunks;
  private final Semaphore uploads;
  private final Counter served;
  private final Counter missing;
  private final Counter busy;
  private final Counter refused;
  private final Counter bytes;
  private final HttpEdge edge;

  private PeerServer(Builder b) throws IOException {
    this.node = b.node;
    this.tokens = b.tokens;
    this.chunks = b.chunks;
    this.uploads = new Semaphore(b.maxUploads);
    this.served = uploads(b.meters, "served");
    this.missing = uploads(b.meters, "missing");
    this.busy = uploads(b.meters, "busy");
    this.refused = uploads(b.meters, "refused");
    this.bytes = b.meters.counter("thaw.peer.upload.bytes");
    this.edge =
        HttpEdge.builder("thaw-peer")
            .tcp(b.host, b.port)
            .maxBodyBytes(0)
            .idleTimeout(Duration.ofSeconds(30))
            // Uploads beyond the bound are answered 503 at once; these threads bound the rest.
            .maxThreads(Math.max(16, b.maxUploads + 12))
            .route("GET", "/peer/chunks/([^/]*)", this::chunk)
            .route("GET", "/peer/chunks", this::batch)
            .route("GET", "/peer/starts/([^/]*)", this::start)
            .route("GET", "/peer/snapshots", this::snapshots)
            .start();
  }

  private static Counter uploads(MeterRegistry meters, String outcome) {
    return meters.counter("thaw.peer.uploads", "outcome", outcome);
  }

  public static Builder builder(String node, PeerTokens tokens, HeldChunks chunks) {
    return new Builder(node, tokens, chunks);
  }

  /** The peer base URL, e.g. {@code http://10.244.1.7:8701}. */
  public URI uri() {
    return edge.uri();
  }

  private Optional<HttpAnswer> refusal(HttpCall call) {
    BearerToken.Verdict v = tokens.judge(call.header("Authorization"));
    if (v == BearerToken.Verdict.ACCEPTED) {
      return Optional.empty();
    }
    refused.increment();
    return Optional.of(
        HttpAnswer.error(
                401,
                v == BearerToken.Verdict.MISSING
                    ? "the peer routes need the peer token (Authorization: Bearer)"
                    : "wrong peer token")
            .withHeader("WWW-Authenticate", "Bearer"));
  }

  private HttpAnswer chunk(HttpCall call) throws IOException {
    Optional<HttpAnswer> no = refusal(call);
    if (no.isPresent()) {
      return no.get();
    }
    String sha256 = call.group(1);
    if (!SHA256.matcher(sha256).matches()) {
      refused.increment();
      return HttpAnswer.error(400, "a chunk is named by its SHA-256: 64 lower-case hex digits");
    }
    if (!uploads.tryAcquire()) {
      busy.increment();
      return HttpAnswer.error(503, "this node's uploads are at their bound; read storage")
          .withHeader("Retry-After", "1");
    }
    try {
      Optional<byte[]> data = chunks.read(sha256);
      if (data.isEmpty()) {
        missing.increment();
        return HttpAnswer.error(404, "no chunk " + sha256 + " here");
      }
      served.increment();
      bytes.increment(data.get().length);
      return new HttpAnswer(200, "application/octet-stream", Map.of(), data.get());
    } finally {
      uploads.release();
    }
  }

  private HttpAnswer batch(HttpCall call) throws IOException {
    Optional<HttpAnswer> no = refusal(call);
    if (no.isPresent()) {
      return no.get();
    }
    List<String> asked = List.of(call.query("d").orElse("").split(",", -1));
    if (asked.size() > MAX_BATCH || !asked.stream().allMatch(d -> SHA256.matcher(d).matches())) {
      refused.increment();
      return HttpAnswer.error(
          400,
          "a batch names 1 to "
              + MAX_BATCH
              + " chunks by their SHA-256 (64 lower-case hex digits), comma-separated, in ?d=");
    }
    if (!uploads.tryAcquire()) {
      busy.increment();
      return HttpAnswer.error(503, "this node's uploads are at their bound; read storage")
          .withHeader("Retry-After", "1");
    }
    try {
      ChunkBatch.Encoder out = new ChunkBatch.Encoder();
      for (String d : asked) {
        Optional<byte[]> data = out.hasRoomFor() ? chunks.read(d) : Optional.empty();
        if (data.isPresent() && out.add(data.get())) {
          served.increment();
          bytes.increment(data.get().length);
        } else {
          out.absent();
          missing.increment();
        }
      }
      return new HttpAnswer(200, "application/octet-stream", Map.of(), out.toBytes());
    } finally {
      uploads.release();
    }
  }

  private HttpAnswer start(HttpCall call) throws IOException {
    Optional<HttpAnswer> no = refusal(call);
    if (no.isPresent()) {
      return no.get();
    }
    String revision = call.group(1);
    try {
      Revision.of(revision);
    } catch (IllegalArgumentException e) {
      refused.increment();
      return HttpAnswer.error(400, e.getMessage());
    }
    if (!uploads.tryAcquire()) {
      busy.increment();
      return HttpAnswer.error(503, "this node's uploads are at their bound; read storage")
          .withHeader("Retry-After", "1");
    }
    try {
      Optional<byte[]> start = chunks.startBody(revision);
      if (start.isEmpty()) {
        missing.increment();
        return HttpAnswer.error(404, "no start of " + revision + " here");
      }
      byte[] body = start.get();
      served.increment();
      bytes.increment(body.length);
      return new HttpAnswer(200, "application/octet-stream", Map.of(), body);
    } finally {
      uploads.release();
    }
  }

  private HttpAnswer snapshots(HttpCall call) {
    Optional<HttpAnswer> no = refusal(call);
    if (no.isPresent()) {
      return no.get();
    }
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("node", node);
    answer.put("revisions", chunks.revisions());
    return HttpAnswer.json(200, answer);
  }

  @Override
  public void close() {
    edge.close();
  }

  /** Builder: 127.0.0.1, any free port, 4 uploads at once, no meters. */
  public static final class Builder {
    private final String node;
    private final PeerTokens tokens;
    private final HeldChunks chunks;
    private String host = "127.0.0.1";
    private int port;
    private int maxUploads = 4;
    private MeterRegistry meters = new SimpleMeterRegistry();

    private Builder(String node, PeerTokens tokens, HeldChunks chunks) {
      this.node = Objects.requireNonNull(node, "node");
      this.tokens = Objects.requireNonNull(tokens, "tokens");
      this.chunks = Objects.requireNonNull(chunks, "chunks");
    }

    /** Where to listen: {@code host} (an address of this machine) and {@code port} (0: any). */
    public Builder address(String host, int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be within 0..65535: " + port);
      }
      this.host = Objects.requireNonNull(host, "host");
      this.port = port;
      return this;
    }

    /** Where to listen, as {@code --peer-address} gives it ({@link PeerAddress#parse}). */
    public Builder address(String hostPort) {
      PeerAddress a = PeerAddress.parse(hostPort);
      return address(a.host(), a.port());
    }

    /** Chunks read for peers at once; more get 503. */
    public Builder maxUploads(int maxUploads) {
      if (maxUploads < 1) {
        throw new IllegalArgumentException("--peer-uploads must be positive: " + maxUploads);
      }
      this.maxUploads = maxUploads;
      return this;
    }

    public Builder meters(MeterRegistry meters) {
      this.meters = Objects.requireNonNull(meters, "meters");
      return this;
    }

    public PeerServer start() throws IOException {
      return new PeerServer(this);
    }
  }
}
