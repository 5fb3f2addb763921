package dev.thaw.node.snapshot.fill;

import dev.thaw.core.io.Digests;
import dev.thaw.http.BearerToken;
import dev.thaw.node.peer.PeerEndpoint;
import dev.thaw.node.peer.StartBundle;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The start of a lazy restore asked of one peer ({@code GET /peer/starts/{revision}}, {@link
 * StartBundle}), and the check that makes it usable: its manifest must have the SHA-256 that
 * storage keeps for the revision's manifest, read alongside ({@link #trusted}). The pages and
 * chunks in it are checked later against that manifest, as storage's are ({@link
 * WorkingPagesLoader}, {@link HandedChunks}).
 *
 * <p>Every failure (no answer within the deadline, a status other than 200, a body beyond its bound
 * or malformed, a manifest that does not match) reads as empty: the restore reads storage.
 */
public final class PeerStart {
  private static final Logger log = LoggerFactory.getLogger(PeerStart.class);

  private PeerStart() {}

  /**
   * Asks {@code peer} for {@code revision}'s start within {@code deadline}; a body longer than
   * {@code maxBody} bytes is dropped as it arrives.
   */
  static CompletableFuture<Optional<StartBundle>> ask(
      HttpClient http,
      PeerEndpoint peer,
      BearerToken token,
      String revision,
      long maxPages,
      Duration deadline) {
    long maxBody = maxPages + StartBundle.MAX_MANIFEST + (64L << 20);
    HttpRequest request =
        HttpRequest.newBuilder(peer.uri().resolve("/peer/starts/" + revision))
            .timeout(deadline)
            .header("Authorization", token.authorization())
            .GET()
            .build();
    CompletableFuture<HttpResponse<byte[]>> sent =
        http.sendAsync(request, info -> Bounded.of(info, maxBody));
    return sent.thenApply(r -> parse(r, peer, revision, maxPages))
        .orTimeout(deadline.toNanos(), TimeUnit.NANOSECONDS)
        .exceptionally(
            e -> {
              sent.cancel(true);
              log.warn(
                  "peer {} gave no start of {} in time ({}): reading storage",
                  peer.node(),
                  revision,
                  e.getMessage());
              return Optional.empty();
            });
  }

  private static Optional<StartBundle> parse(
      HttpResponse<byte[]> r, PeerEndpoint peer, String revision, long maxPages) {
    if (r.statusCode() != 200 || r.body() == null) {
      log.info(
          "peer {} has no start of {} ({}): reading storage",
          peer.node(),
          revision,
          r.statusCode());
      return Optional.empty();
    }
    try {
      return Optional.of(StartBundle.read(new ByteArrayInputStream(r.body()), maxPages));
    } catch (IOException e) {
      log.warn("peer {} sent a malformed start of {}: {}", peer.node(), revision, e.getMessage());
      return Optional.empty();
    }
  }

  /**
   * {@code got} if its manifest has the SHA-256 {@code trusted} (storage's record of it); empty
   * otherwise, and when storage has no record (the manifest is then read from storage).
   */
  public static Optional<StartBundle> trusted(
      Optional<StartBundle> got, Optional<String> trusted, String revision) {
    if (got.isEmpty() || trusted.isEmpty()) {
      return Optional.empty();
    }
    byte[] m = got.get().manifest();
    if (!Digests.sha256(m, 0, m.length).equals(trusted.get())) {
      log.warn(
          "a peer's manifest of {} differs from the digest storage keeps of it: reading storage",
          revision);
      return Optional.empty();
    }
    return got;
  }

  /** A 200's body up to a bound, gathered as it arrives; null beyond the bound or otherwise. */
  private static final class Bounded implements HttpResponse.BodySubscriber<byte[]> {
    private final long max;
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream(1 << 20);
    private final CompletableFuture<byte[]> result = new CompletableFuture<>();
    private Flow.Subscription subscription;

    private Bounded(long max) {
      this.max = max;
    }

    static HttpResponse.BodySubscriber<byte[]> of(HttpResponse.ResponseInfo info, long max) {
      return info.statusCode() == 200
          ? new Bounded(max)
          : HttpResponse.BodySubscribers.replacing(null);
    }

    @Override
    public CompletionStage<byte[]> getBody() {
      return result;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
      subscription = s;
      s.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> items) {
      if (result.isDone()) {
        return;
      }
      for (ByteBuffer b : items) {
        if (bytes.size() + (long) b.remaining() > max) {
          result.complete(null);
          subscription.cancel();
          return;
        }
        byte[] part = new byte[b.remaining()];
        b.get(part);
        bytes.write(part, 0, part.length);
      }
    }

    @Override
    public void onError(Throwable t) {
      result.completeExceptionally(t);
    }

    @Override
    public void onComplete() {
      result.complete(bytes.toByteArray());
    }
  }
}
