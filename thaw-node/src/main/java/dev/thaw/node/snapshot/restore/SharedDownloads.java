package dev.thaw.node.snapshot.restore;

import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The downloads of remote snapshots running on this node, by revision: concurrent cold starts of
 * one revision share one download. The first leads it; the others wait until the leader has settled
 * it (its cache entry is committed, or known not to be, or its restore has returned) and then look
 * in the cache, or fail as the leader did.
 */
final class SharedDownloads {
  private final ConcurrentHashMap<String, CompletableFuture<Void>> running =
      new ConcurrentHashMap<>();

  /** The download a leading cold start runs; {@code settled} releases the cold starts waiting. */
  @FunctionalInterface
  interface Download<T> {
    T run(Runnable settled) throws IOException;
  }

  /** What a cold start that waited for another's download does once it is settled. */
  @FunctionalInterface
  interface Afterwards<T> {
    T run() throws IOException;
  }

  /**
   * Runs {@code download} for {@code revision} unless another cold start is running one; else waits
   * for that one to settle and runs {@code afterwards}.
   *
   * @throws IOException the leader's failure, to a cold start that waited for it as well
   */
  <T> T share(String revision, Download<T> download, Afterwards<T> afterwards) throws IOException {
    CompletableFuture<Void> mine = new CompletableFuture<>();
    CompletableFuture<Void> other = running.putIfAbsent(revision, mine);
    if (other != null) {
      try {
        other.join();
      } catch (CompletionException e) {
        throw rethrow(e.getCause());
      }
      return afterwards.run();
    }
    try {
      T result = download.run(() -> mine.complete(null));
      mine.complete(null);
      return result;
    } catch (IOException | RuntimeException e) {
      mine.completeExceptionally(e);
      throw e;
    } finally {
      running.remove(revision, mine);
    }
  }

  /**
   * Runs {@code download} for {@code revision} unless another is running (then empty at once): a
   * fetch ahead of need, which cold starts arriving meanwhile wait for. Its failure is its own:
   * they are released to look in the cache (and fetch for themselves), not failed with it.
   */
  <T> Optional<T> tryLead(String revision, Download<T> download) throws IOException {
    CompletableFuture<Void> mine = new CompletableFuture<>();
    if (running.putIfAbsent(revision, mine) != null) {
      return Optional.empty();
    }
    try {
      return Optional.of(download.run(() -> mine.complete(null)));
    } finally {
      mine.complete(null);
      running.remove(revision, mine);
    }
  }

  private static IOException rethrow(Throwable cause) {
    if (cause instanceof IOException io) {
      return io;
    }
    if (cause instanceof RuntimeException r) {
      throw r;
    }
    throw new IllegalStateException(cause);
  }
}
