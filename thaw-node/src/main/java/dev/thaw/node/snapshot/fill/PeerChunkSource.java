package dev.thaw.node.snapshot.fill;

import dev.thaw.core.io.Digests;
import dev.thaw.http.BearerToken;
import dev.thaw.node.peer.ChunkBatch;
import dev.thaw.node.peer.PeerEndpoint;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The chunks of one revision on the peers that hold it ({@code GET /peer/chunks?d=…} with the peer
 * token, up to {@link ChunkBatch#MAX_CHUNKS} chunks and {@link #BATCH_BYTES} bytes per request),
 * placed between the local cache and storage. Each chunk is asked of one peer (spread by its name),
 * at most {@code perPeer} requests in flight to each, all of what a fill asks at once. A chunk
 * whose bytes do not match its name and length is never handed over: a peer is not trusted.
 *
 * <p>Every chunk a peer lacks (404), refuses (503, 401), sends wrong, or does not send within what
 * a storage read of its size costs ({@link StorageCost}) is returned as missing, so storage
 * supplies it; a peer that timed out, lied, refused the token or could not be reached is asked
 * nothing more in this fill ({@link PeerFallback#dropsPeer()}).
 */
final class PeerChunkSource implements ChunkSource {
  private static final Logger log = LoggerFactory.getLogger(PeerChunkSource.class);

  /** The most chunk bytes one request asks of a peer: a deadline that storage would meet. */
  static final long BATCH_BYTES = 2L << 20;

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
    Map<String, CompletableFuture<Answer>> asked = new HashMap<>();
    for (Map.Entry<Peer, List<List<String>>> byPeer : batches(wanted).entrySet()) {
      for (List<String> batch : byPeer.getValue()) {
        List<CompletableFuture<Answer>> answers = ask(byPeer.getKey(), batch);
        for (int i = 0; i < batch.size(); i++) {
          asked.put(batch.get(i), answers.get(i));
        }
      }
    }
    List<String> missing = new ArrayList<>();
    for (String d : wanted) {
      CompletableFuture<Answer> f = asked.get(d);
      Answer a = f == null ? Answer.of(PeerFallback.SKIPPED) : f.join();
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

  /**
   * {@code wanted} by the peer each falls to, cut into batches of at most {@link
   * ChunkBatch#MAX_CHUNKS} chunks and {@link #BATCH_BYTES} bytes; chunks no peer is left to ask are
   * left out.
   */
  private Map<Peer, List<List<String>>> batches(List<String> wanted) {
    Map<Peer, List<List<String>>> out = new LinkedHashMap<>();
    Map<Peer, Long> open = new HashMap<>();
    for (String d : new LinkedHashSet<>(wanted)) {
      Peer peer = peerFor(d);
      if (peer == null) {
        continue;
      }
      List<List<String>> list = out.computeIfAbsent(peer, p -> new ArrayList<>());
      int length = lengths.get(d);
      List<String> last = list.isEmpty() ? null : list.get(list.size() - 1);
      long bytes = open.getOrDefault(peer, 0L);
      if (last == null || last.size() == ChunkBatch.MAX_CHUNKS || bytes + length > BATCH_BYTES) {
        last = new ArrayList<>();
        list.add(last);
        bytes = 0;
      }
      last.add(d);
      open.put(peer, bytes + length);
    }
    return out;
  }

  /** Asks {@code peer} for {@code batch} in one request, once a slot of it is free. */
  private List<CompletableFuture<Answer>> ask(Peer peer, List<String> batch) {
    CompletableFuture<List<Answer>> all = askBatch(peer, batch);
    List<CompletableFuture<Answer>> each = new ArrayList<>(batch.size());
    for (int i = 0; i < batch.size(); i++) {
      int at = i;
      each.add(all.thenApply(answers -> answers.get(at)));
    }
    return each;
  }

  private CompletableFuture<List<Answer>> askBatch(Peer peer, List<String> batch) {
    try {
      if (!peer.slots.tryAcquire(SLOT_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
        return CompletableFuture.completedFuture(all(batch, drop(peer, PeerFallback.TIMEOUT)));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return CompletableFuture.completedFuture(all(batch, Answer.of(PeerFallback.SKIPPED)));
    }
    if (peer.dropped != null) {
      peer.slots.release();
      return CompletableFuture.completedFuture(all(batch, Answer.of(PeerFallback.SKIPPED)));
    }
    List<Integer> expected = batch.stream().map(lengths::get).toList();
    long bytes = expected.stream().mapToLong(Integer::longValue).sum();
    Duration deadline = cost.deadline(bytes);
    HttpRequest request =
        HttpRequest.newBuilder(
                peer.endpoint.uri().resolve("/peer/chunks?d=" + String.join(",", batch)))
            .timeout(deadline)
            .header("Authorization", token.authorization())
            .GET()
            .build();
    int max = ChunkBatch.maxAnswerBytes(expected);
    CompletableFuture<HttpResponse<byte[]>> sent =
        http.sendAsync(request, info -> BoundedBody.of(info, max));
    return sent.thenApply(r -> check(r, batch, expected))
        .orTimeout(deadline.toNanos(), TimeUnit.NANOSECONDS)
        .exceptionally(e -> all(batch, Answer.of(failure(e))))
        .thenApply(
            answers -> {
              peer.slots.release();
              Optional<PeerFallback> dropping =
                  answers.stream()
                      .map(Answer::fallback)
                      .filter(f -> f != null && f.dropsPeer())
                      .findFirst();
              if (dropping.isPresent()) {
                if (dropping.get() == PeerFallback.TIMEOUT) {
                  sent.cancel(true);
                }
                drop(peer, dropping.get());
              }
              return answers;
            });
  }

  private static List<Answer> all(List<String> batch, Answer answer) {
    return Collections.nCopies(batch.size(), answer);
  }

  /** The peer chunk {@code sha256} falls to among those still asked; null when none is. */
  private Peer peerFor(String sha256) {
    List<Peer> live = peers.stream().filter(p -> p.dropped == null).toList();
    if (live.isEmpty()) {
      return null;
    }
    return live.get(Integer.parseUnsignedInt(sha256.substring(0, 6), 16) % live.size());
  }

  /**
   * The answer to a batch, per chunk: its bytes when they match its name and length; MISSING when
   * the peer did not send it; CORRUPT for every chunk of an answer that does not decode, and for
   * each chunk whose bytes are not its own.
   */
  private static List<Answer> check(
      HttpResponse<byte[]> r, List<String> batch, List<Integer> expected) {
    PeerFallback whole =
        switch (r.statusCode()) {
          case 200 -> null;
          case 404 -> PeerFallback.MISSING;
          case 503 -> PeerFallback.BUSY;
          case 401, 403 -> PeerFallback.UNAUTHORIZED;
          default -> PeerFallback.FAILED;
        };
    if (whole != null) {
      return all(batch, Answer.of(whole));
    }
    Optional<List<Optional<byte[]>>> decoded =
        r.body() == null ? Optional.empty() : ChunkBatch.decode(r.body(), expected);
    if (decoded.isEmpty()) {
      return all(batch, Answer.of(PeerFallback.CORRUPT));
    }
    List<Answer> out = new ArrayList<>(batch.size());
    for (int i = 0; i < batch.size(); i++) {
      Optional<byte[]> data = decoded.get().get(i);
      if (data.isEmpty()) {
        out.add(Answer.of(PeerFallback.MISSING));
      } else if (Digests.sha256(data.get(), 0, data.get().length).equals(batch.get(i))) {
        out.add(new Answer(data.get(), null));
      } else {
        out.add(Answer.of(PeerFallback.CORRUPT));
      }
    }
    return out;
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
