package dev.thaw.node.snapshot.restore;

import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The downloads of remote snapshots running on this node, by revision: concurrent cold starts of
 * one revision share one download. The first leads it; the others wait until the leader has settled
 * it (its cache entry is committed, or known not to be) and then look in the cache, or fail as the
 * leader did. A leader whose restore returns before its download ends (a lazy restore, whose fill
 * goes on behind the guest) {@link Settlement#deferred defers} the settlement: until the download
 * ends, cold starts of the revision keep waiting for it, arriving before or after that return,
 * rather than each fetching the snapshot again. A leader that returns without deferring it settles
 * the download by returning.
 */
final class SharedDownloads {
  private final ConcurrentHashMap<String, Settlement> running = new ConcurrentHashMap<>();

  /** The download a leading cold start runs; {@code settled} releases the cold starts waiting. */
  @FunctionalInterface
  interface Download<T> {
    T run(Settlement settled) throws IOException;
  }

  /** What a cold start that waited for another's download does once it is settled. */
  @FunctionalInterface
  interface Afterwards<T> {
    T run() throws IOException;
  }

  /** Releases the cold starts waiting for one download, when run. */
  static final class Settlement implements Runnable {
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private volatile boolean deferred;

    @Override
    public void run() {
      done.complete(null);
    }

    /**
     * This settlement runs after the leader's restore has returned (the download goes on in the
     * background, and runs it once it ends, whatever its outcome): those waiting keep waiting.
     */
    Runnable deferred() {
      deferred = true;
      return this;
    }
  }

  /**
   * Runs {@code download} for {@code revision} unless another cold start is running one; else waits
   * for that one to settle and runs {@code afterwards}.
   *
   * @throws IOException the leader's failure, to a cold start that waited for it as well
   */
  <T> T share(String revision, Download<T> download, Afterwards<T> afterwards) throws IOException {
    Settlement mine = new Settlement();
    Settlement other = running.putIfAbsent(revision, mine);
    if (other != null) {
      try {
        other.done.join();
      } catch (CompletionException e) {
        throw rethrow(e.getCause());
      }
      return afterwards.run();
    }
    try {
      T result = download.run(mine);
      if (!mine.deferred) {
        mine.run();
      }
      return result;
    } catch (IOException | RuntimeException e) {
      mine.done.completeExceptionally(e);
      throw e;
    } finally {
      // A deferred download stays shared until it settles; any other ends with its leader.
      mine.done.whenComplete((x, e) -> running.remove(revision, mine));
    }
  }

  /**
   * Runs {@code download} for {@code revision} unless another is running (then empty at once): a
   * fetch ahead of need, which cold starts arriving meanwhile wait for. Its failure is its own:
   * they are released to look in the cache (and fetch for themselves), not failed with it.
   */
  <T> Optional<T> tryLead(String revision, Download<T> download) throws IOException {
    Settlement mine = new Settlement();
    if (running.putIfAbsent(revision, mine) != null) {
      return Optional.empty();
    }
    try {
      return Optional.of(download.run(mine));
    } finally {
      mine.run();
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
