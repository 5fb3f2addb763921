package dev.thaw.node.snapshot.fill;

import dev.thaw.core.concurrent.DaemonThreads;
import java.io.IOException;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * The threads of a lazy fill that take chunks off its {@link FillQueue}, get them from its sources
 * (each asked for what the ones before it lack) and write them, and the readiness of each chunk: a
 * read {@linkplain #await waits} for its chunk, moving it to the front of the queue.
 *
 * <p>A chunk that cannot be had fails the whole fill: every chunk not yet written fails, so waiting
 * and later reads get an {@link IOException} instead of a hang.
 */
final class FetchWorkers {
  /** How long a read waits for its chunk before it fails. */
  static final Duration READ_WAIT = Duration.ofSeconds(30);

  private final String revision;
  private final FillQueue queue;
  private final List<ChunkSource> sources;
  private final ChunkPlaces places;
  private final Map<String, CompletableFuture<Void>> ready = new HashMap<>();
  private final AtomicReference<IOException> failure = new AtomicReference<>();
  private final AtomicInteger waits = new AtomicInteger();
  private final Consumer<Duration> onWait;
  private final ExecutorService pool;
  private final int parallelism;

  /**
   * @param sources asked in turn; the last has every chunk
   * @param parallelism chunks fetched at once; one thread more runs {@link #beside}
   * @param onWait told how long each read that had to wait for its chunk waited
   */
  FetchWorkers(
      String revision,
      FillQueue queue,
      List<ChunkSource> sources,
      ChunkPlaces places,
      int parallelism,
      Consumer<Duration> onWait) {
    this.revision = revision;
    this.queue = queue;
    this.sources = List.copyOf(sources);
    this.places = places;
    this.parallelism = parallelism;
    this.onWait = onWait;
    places.chunks().forEach(d -> ready.put(d, new CompletableFuture<>()));
    this.pool =
        Executors.newFixedThreadPool(parallelism + 1, DaemonThreads.numbered("thaw-lazy-fill"));
  }

  /** Runs {@code task} on the thread kept beside the workers (the working pages' load). */
  void beside(Runnable task) {
    pool.execute(task);
  }

  /** Starts the workers. */
  void start() {
    for (int i = 0; i < parallelism; i++) {
      pool.execute(this::work);
    }
  }

  /** Completes when all of {@code chunks} are written; fails when one cannot be had. */
  CompletableFuture<Void> written(Collection<String> chunks) {
    return CompletableFuture.allOf(
        chunks.stream().map(ready::get).toArray(CompletableFuture[]::new));
  }

  /** The first failure, once the fill has failed or stopped. */
  Optional<IOException> failure() {
    return Optional.ofNullable(failure.get());
  }

  /** Reads that had to wait for their chunk. */
  int waits() {
    return waits.get();
  }

  private void work() {
    for (List<String> batch = queue.next();
        !batch.isEmpty() && failure.get() == null;
        batch = queue.next()) {
      try {
        fill(batch);
      } catch (IOException | RuntimeException e) {
        fail(
            e instanceof IOException io
                ? io
                : new IOException("cannot fill " + revision + ": " + e, e));
      }
    }
  }

  private void fill(List<String> batch) throws IOException {
    List<String> left = batch;
    for (ChunkSource source : sources) {
      if (left.isEmpty()) {
        return;
      }
      left = source.supply(left, this::put);
    }
    if (!left.isEmpty()) {
      throw new IOException("no source has chunk " + left.get(0) + " of " + revision);
    }
  }

  private void put(String sha256, byte[] data) throws IOException {
    places.write(sha256, data);
    ready.get(sha256).complete(null);
  }

  /** Fails every chunk not yet written with {@code e}, unless the fill failed already. */
  void fail(IOException e) {
    if (failure.compareAndSet(null, e)) {
      ready.values().forEach(f -> f.completeExceptionally(e));
      queue.stop();
    }
  }

  /**
   * Waits until chunk {@code sha256} is written, moving it to the front when no worker has it yet.
   *
   * @throws IOException when it cannot be had or is not there within {@link #READ_WAIT}
   */
  void await(String sha256) throws IOException {
    CompletableFuture<Void> f = ready.get(sha256);
    if (f.isDone() && !f.isCompletedExceptionally()) {
      return;
    }
    waits.incrementAndGet();
    long t0 = System.nanoTime();
    try {
      awaitWritten(sha256, f);
    } finally {
      onWait.accept(Duration.ofNanos(System.nanoTime() - t0));
    }
  }

  private void awaitWritten(String sha256, CompletableFuture<Void> f) throws IOException {
    if (queue.hurry(sha256) && pool.isShutdown()) {
      throw new IOException("the fill of " + revision + " has stopped");
    }
    try {
      f.get(READ_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted waiting for a chunk of " + revision, e);
    } catch (ExecutionException e) {
      throw new IOException(
          "chunk of " + revision + " unavailable: " + e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      throw new IOException(
          "chunk of " + revision + " not there within " + READ_WAIT.toSeconds() + " s");
    }
  }

  /** Lets the threads end once their work is done (every chunk is written, or the fill failed). */
  void shutdown() {
    pool.shutdown();
  }

  /** Stops the threads now and fails the chunks not yet written (a restore that failed). */
  void stop() {
    pool.shutdownNow();
    fail(new IOException("the fill of " + revision + " was stopped"));
  }
}
