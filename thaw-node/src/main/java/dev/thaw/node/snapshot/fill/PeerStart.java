package dev.thaw.node.snapshot.fill;

import dev.thaw.core.io.Digests;
import dev.thaw.http.BearerToken;
import dev.thaw.node.peer.PeerEndpoint;
import dev.thaw.node.peer.StartBundle;
import dev.thaw.node.peer.StartDecoder;
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
 * StartBundle}), decoded as it arrives ({@link StartDecoder}, the pages hashed on the way), and the
 * check that makes it usable: its manifest must have the SHA-256 the restore was given ({@link
 * ManifestDigest}) or, without one, that storage keeps for the revision's manifest, read alongside
 * ({@link #trusted}). The pages and chunks in it are checked later against that manifest, as
 * storage's are ({@link WorkingPagesLoader}, {@link HandedChunks}).
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
  static CompletableFuture<Optional<StartDecoder.Decoded>> ask(
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
    CompletableFuture<HttpResponse<Optional<StartDecoder.Decoded>>> sent =
        http.sendAsync(request, info -> Decoding.of(info, maxBody, maxPages, peer, revision));
    return sent.thenApply(r -> answer(r, peer, revision))
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

  private static Optional<StartDecoder.Decoded> answer(
      HttpResponse<Optional<StartDecoder.Decoded>> r, PeerEndpoint peer, String revision) {
    if (r.statusCode() != 200) {
      log.info(
          "peer {} has no start of {} ({}): reading storage",
          peer.node(),
          revision,
          r.statusCode());
      return Optional.empty();
    }
    return r.body();
  }

  /**
   * {@code got} if its manifest has the SHA-256 {@code trusted} (the one the restore was given by a
   * trusted party, {@link ManifestDigest}, else storage's record of it); empty otherwise, and when
   * there is none (the manifest is then read from storage).
   */
  public static Optional<StartDecoder.Decoded> trusted(
      Optional<StartDecoder.Decoded> got, Optional<String> trusted, String revision) {
    if (got.isEmpty() || trusted.isEmpty()) {
      return Optional.empty();
    }
    byte[] m = got.get().bundle().manifest();
    if (!Digests.sha256(m, 0, m.length).equals(trusted.get())) {
      log.warn(
          "a peer's manifest of {} differs from its trusted digest: reading storage", revision);
      return Optional.empty();
    }
    return got;
  }

  /**
   * A 200's body decoded as it arrives ({@link StartDecoder}), up to a bound; empty beyond the
   * bound or when it does not decode (the rest is then not read).
   */
  private static final class Decoding
      implements HttpResponse.BodySubscriber<Optional<StartDecoder.Decoded>> {
    private final long max;
    private final StartDecoder decoder;
    private final PeerEndpoint peer;
    private final String revision;
    private final CompletableFuture<Optional<StartDecoder.Decoded>> result =
        new CompletableFuture<>();
    private Flow.Subscription subscription;
    private long received;

    private Decoding(long max, long maxPages, PeerEndpoint peer, String revision) {
      this.max = max;
      this.decoder = new StartDecoder(maxPages);
      this.peer = peer;
      this.revision = revision;
    }

    static HttpResponse.BodySubscriber<Optional<StartDecoder.Decoded>> of(
        HttpResponse.ResponseInfo info,
        long max,
        long maxPages,
        PeerEndpoint peer,
        String revision) {
      return info.statusCode() == 200
          ? new Decoding(max, maxPages, peer, revision)
          : HttpResponse.BodySubscribers.replacing(Optional.empty());
    }

    @Override
    public CompletionStage<Optional<StartDecoder.Decoded>> getBody() {
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
      try {
        for (ByteBuffer b : items) {
          received += b.remaining();
          if (received > max) {
            throw new IOException("the answer goes on beyond " + max + " bytes");
          }
          decoder.feed(b);
        }
      } catch (IOException e) {
        refuse(e);
      }
    }

    @Override
    public void onError(Throwable t) {
      result.completeExceptionally(t);
    }

    @Override
    public void onComplete() {
      if (result.isDone()) {
        return;
      }
      try {
        result.complete(Optional.of(decoder.finish()));
      } catch (IOException e) {
        refuse(e);
      }
    }

    private void refuse(IOException e) {
      log.warn("peer {} sent a malformed start of {}: {}", peer.node(), revision, e.getMessage());
      result.complete(Optional.empty());
      subscription.cancel();
    }
  }
}
