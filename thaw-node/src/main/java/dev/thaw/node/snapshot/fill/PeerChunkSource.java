package dev.thaw.node.snapshot.fill;

import dev.thaw.core.io.Digests;
import dev.thaw.http.BearerToken;
import dev.thaw.node.peer.PeerEndpoint;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The chunks of one revision on the peers that hold it ({@code GET /peer/chunks/{sha256}} with the
 * peer token), placed between the local cache and storage. Each chunk is asked of one peer (spread
 * by its name), at most {@code perPeer} requests in flight to each, all of a batch at once. A chunk
 * whose bytes do not match its name and length is never handed over: a peer is not trusted.
 *
 * <p>Every chunk a peer lacks (404), refuses (503, 401), sends wrong, or does not send within what
 * a storage read of its size costs ({@link StorageCost}) is returned as missing, so storage
 * supplies it; a peer that timed out, lied, refused the token or could not be reached is asked
 * nothing more in this fill ({@link PeerFallback#dropsPeer()}).
 */
final class PeerChunkSource implements ChunkSource {
  private static final Logger log = LoggerFactory.getLogger(PeerChunkSource.class);

  /** Longest a request waits for a free slot of its peer before storage is asked instead. */
  private static final Duration SLOT_WAIT = Duration.ofSeconds(5);

  private final List<Peer> peers;
  private final BearerToken token;
  private final HttpClient http;
  private final Map<String, Integer> lengths;
  private final TransferTally tally;
  private final StorageCost cost;

  /** One peer as this fill sees it. */
  private static final class Peer {
    final PeerEndpoint endpoint;
    final Semaphore slots;
    volatile PeerFallback dropped;

    Peer(PeerEndpoint endpoint, int slots) {
      this.endpoint = endpoint;
      this.slots = new Semaphore(slots);
    }
  }

  /** A chunk from a peer, or why it did not come. */
  private record Answer(byte[] data, PeerFallback fallback) {
    static Answer of(PeerFallback fallback) {
      return new Answer(null, fallback);
    }
  }

  PeerChunkSource(
      List<PeerEndpoint> peers,
      BearerToken token,
      HttpClient http,
      int perPeer,
      Map<String, Integer> lengths,
      TransferTally tally,
      StorageCost cost) {
    this.peers = peers.stream().map(p -> new Peer(p, perPeer)).toList();
    this.token = token;
    this.http = http;
    this.lengths = lengths;
    this.tally = tally;
    this.cost = cost;
  }

  @Override
  public List<String> supply(List<String> wanted, Sink sink) throws IOException {
    List<CompletableFuture<Answer>> asked = new ArrayList<>(wanted.size());
    for (String d : wanted) {
      asked.add(ask(d));
    }
    List<String> missing = new ArrayList<>();
    for (int i = 0; i < wanted.size(); i++) {
      String d = wanted.get(i);
      Answer a = asked.get(i).join();
      if (a.data() != null) {
        tally.fromPeer(a.data().length);
        sink.put(d, a.data());
      } else {
        tally.peerFellBack(a.fallback());
        missing.add(d);
      }
    }
    return missing;
  }

  /** Asks the peer {@code sha256} falls to, once a slot of it is free. */
  private CompletableFuture<Answer> ask(String sha256) {
    Peer peer = peerFor(sha256);
    if (peer == null) {
      return CompletableFuture.completedFuture(Answer.of(PeerFallback.SKIPPED));
    }
    try {
      if (!peer.slots.tryAcquire(SLOT_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
        return CompletableFuture.completedFuture(drop(peer, PeerFallback.TIMEOUT));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return CompletableFuture.completedFuture(Answer.of(PeerFallback.SKIPPED));
    }
    if (peer.dropped != null) {
      peer.slots.release();
      return CompletableFuture.completedFuture(Answer.of(PeerFallback.SKIPPED));
    }
    int length = lengths.get(sha256);
    Duration deadline = cost.deadline(length);
    HttpRequest request =
        HttpRequest.newBuilder(peer.endpoint.uri().resolve("/peer/chunks/" + sha256))
            .timeout(deadline)
            .header("Authorization", token.authorization())
            .GET()
            .build();
    CompletableFuture<HttpResponse<byte[]>> sent =
        http.sendAsync(request, info -> BoundedBody.of(info, length));
    return sent.thenApply(r -> check(r, sha256, length))
        .orTimeout(deadline.toNanos(), TimeUnit.NANOSECONDS)
        .exceptionally(e -> Answer.of(failure(e)))
        .thenApply(
            a -> {
              peer.slots.release();
              if (a.fallback() == PeerFallback.TIMEOUT) {
                sent.cancel(true);
              }
              return a.fallback() != null && a.fallback().dropsPeer()
                  ? drop(peer, a.fallback())
                  : a;
            });
  }

  /** The peer chunk {@code sha256} falls to among those still asked; null when none is. */
  private Peer peerFor(String sha256) {
    List<Peer> live = peers.stream().filter(p -> p.dropped == null).toList();
    if (live.isEmpty()) {
      return null;
    }
    return live.get(Integer.parseUnsignedInt(sha256.substring(0, 6), 16) % live.size());
  }

  private static Answer check(HttpResponse<byte[]> r, String sha256, int length) {
    return switch (r.statusCode()) {
      case 200 ->
          r.body() != null
                  && r.body().length == length
                  && Digests.sha256(r.body(), 0, length).equals(sha256)
              ? new Answer(r.body(), null)
              : Answer.of(PeerFallback.CORRUPT);
      case 404 -> Answer.of(PeerFallback.MISSING);
      case 503 -> Answer.of(PeerFallback.BUSY);
      case 401, 403 -> Answer.of(PeerFallback.UNAUTHORIZED);
      default -> Answer.of(PeerFallback.FAILED);
    };
  }

  private static PeerFallback failure(Throwable e) {
    Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    return cause instanceof TimeoutException || cause instanceof HttpTimeoutException
        ? PeerFallback.TIMEOUT
        : PeerFallback.FAILED;
  }

  /** Asks {@code peer} nothing more in this fill, for {@code reason}. */
  private Answer drop(Peer peer, PeerFallback reason) {
    if (peer.dropped == null) {
      peer.dropped = reason;
      log.warn(
          "peer {} is not asked for more chunks in this fill: {}",
          peer.endpoint.node(),
          reason.label());
    }
    return Answer.of(reason);
  }

  /** Holds nothing open of its own: the client's connections are the node's. */
  @Override
  public void close() {}
}
