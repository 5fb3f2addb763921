package dev.thaw.http;

import org.eclipse.jetty.io.Content;

/**
 * A request body that fails with {@link TooLarge} once more than {@code max} bytes came: the bound
 * of a body sent without a length (chunked), which the edge cannot refuse before reading it.
 */
final class BoundedSource implements Content.Source {
  /** The body went past the bound. */
  static final class TooLarge extends RuntimeException {
    private static final long serialVersionUID = 1L;

    TooLarge(long max) {
      super("request body larger than " + max + " bytes");
    }
  }

  private final Content.Source body;
  private final long max;
  private long seen;

  BoundedSource(Content.Source body, long max) {
    this.body = body;
    this.max = max;
  }

  @Override
  public Content.Chunk read() {
    Content.Chunk chunk = body.read();
    if (chunk == null || Content.Chunk.isFailure(chunk)) {
      return chunk;
    }
    seen += chunk.remaining();
    if (seen > max) {
      chunk.release();
      // Last: the rest is not read; Jetty drops the connection after the answer if it must.
      return Content.Chunk.from(new TooLarge(max), true);
    }
    return chunk;
  }

  @Override
  public void demand(Runnable demandCallback) {
    body.demand(demandCallback);
  }

  @Override
  public void fail(Throwable failure) {
    body.fail(failure);
  }

  @Override
  public long getLength() {
    return body.getLength();
  }
}
