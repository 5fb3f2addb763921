package dev.thaw.node.snapshot.fill;

import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * A peer's answer body, kept only when it is a 200 and no longer than the chunk it should be: a
 * peer cannot make a reader hold more than a chunk's bytes. An overlong body reads as null (the
 * reader then calls the chunk corrupt), as does any body of another status. The bytes go straight
 * into one array of the chunk's length, so a chunk costs one allocation.
 */
final class BoundedBody implements HttpResponse.BodySubscriber<byte[]> {
  private final byte[] bytes;
  private int size;
  private final CompletableFuture<byte[]> result = new CompletableFuture<>();
  private Flow.Subscription subscription;

  private BoundedBody(int max) {
    this.bytes = new byte[max];
  }

  /** The body of {@code info}'s answer: at most {@code max} bytes of a 200, else nothing. */
  static HttpResponse.BodySubscriber<byte[]> of(HttpResponse.ResponseInfo info, int max) {
    if (info.statusCode() != 200) {
      return HttpResponse.BodySubscribers.replacing(null);
    }
    return new BoundedBody(max);
  }

  @Override
  public CompletionStage<byte[]> getBody() {
    return result;
  }

  @Override
  public void onSubscribe(Flow.Subscription s) {
    this.subscription = s;
    s.request(Long.MAX_VALUE);
  }

  @Override
  public void onNext(List<ByteBuffer> items) {
    if (result.isDone()) {
      return;
    }
    for (ByteBuffer b : items) {
      int n = b.remaining();
      if (size + n > bytes.length) {
        result.complete(null);
        subscription.cancel();
        return;
      }
      b.get(bytes, size, n);
      size += n;
    }
  }

  @Override
  public void onError(Throwable t) {
    result.completeExceptionally(t);
  }

  @Override
  public void onComplete() {
    result.complete(size == bytes.length ? bytes : Arrays.copyOf(bytes, size));
  }
}
