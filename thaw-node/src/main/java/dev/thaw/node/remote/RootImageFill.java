package dev.thaw.node.remote;

import dev.thaw.core.concurrent.DaemonThreads;
import dev.thaw.core.io.Digests;
import dev.thaw.core.lazy.ServedFile;
import dev.thaw.core.snapshot.ChunkList;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
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
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * A root image from remote storage written into a file while a VMM already reads it: a {@link
 * ServedFile} whose reads wait for the chunks they touch (moving them to the front), filled in the
 * order of a {@link RootImageQueue}. Every chunk is checked against its SHA-256 before it is
 * written, and the whole file against the image's SHA-256 once all are: only then does {@link
 * #done()} complete, so a caller that commits the file on it never commits a wrong or partial one.
 *
 * <p>A chunk that cannot be had (missing, corrupt, storage down) fails the whole fill: reads
 * waiting and later get an {@link IOException} (the VMM an I/O error), never a hang, and {@link
 * #done()} fails.
 */
public final class RootImageFill implements ServedFile, AutoCloseable {
  /** How long a read waits for its chunk before it fails. */
  public static final Duration READ_WAIT = Duration.ofSeconds(30);

  private final RemoteRootImages.Stored stored;
  private final Path file;
  private final FileChannel channel;
  private final ChunkReader reader;
  private final RootImageQueue queue;
  private final Map<String, List<Integer>> places = new HashMap<>();
  private final Map<String, CompletableFuture<Void>> ready = new HashMap<>();
  private final AtomicReference<IOException> failure = new AtomicReference<>();
  private final CompletableFuture<Void> done = new CompletableFuture<>();
  private final LongAdder fetchedBytes = new LongAdder();
  private final LongAdder waits = new LongAdder();
  private final ExecutorService pool;

  private RootImageFill(
      RemoteRootImages.Stored stored, Path file, ChunkReader reader, int parallelism)
      throws IOException {
    this.stored = stored;
    this.file = file;
    this.reader = reader;
    ChunkList chunks = stored.chunks();
    for (int i = 0; i < chunks.sha256().size(); i++) {
      String d = chunks.sha256().get(i);
      if (d != null) {
        places.computeIfAbsent(d, k -> new ArrayList<>()).add(i);
        ready.computeIfAbsent(d, k -> new CompletableFuture<>());
      }
    }
    this.queue = new RootImageQueue(chunks);
    this.channel =
        FileChannel.open(
            file,
            StandardOpenOption.CREATE_NEW,
            StandardOpenOption.READ,
            StandardOpenOption.WRITE,
            StandardOpenOption.SPARSE);
    channel.truncate(stored.sizeBytes());
    if (channel.size() < stored.sizeBytes()) {
      channel.write(ByteBuffer.wrap(new byte[1]), stored.sizeBytes() - 1);
    }
    this.pool =
        Executors.newFixedThreadPool(parallelism, DaemonThreads.numbered("thaw-image-fill"));
    for (int i = 0; i < parallelism; i++) {
      pool.execute(this::work);
    }
    // Last: an image of zero chunks only is done at once, and its pool shut down.
    CompletableFuture.allOf(ready.values().toArray(CompletableFuture[]::new))
        .whenComplete((ok, e) -> finish(e));
  }

  /**
   * Starts filling the new file {@code file} with the root image {@code stored} describes, with
   * {@code parallelism} chunks fetched at once.
   */
  static RootImageFill start(
      RemoteRootImages.Stored stored, Path file, ChunkReader reader, int parallelism)
      throws IOException {
    return new RootImageFill(stored, file, reader, parallelism);
  }

  /** The image this fill writes. */
  public RemoteRootImages.Stored stored() {
    return stored;
  }

  @Override
  public long size() {
    return stored.sizeBytes();
  }

  @Override
  public int read(long offset, ByteBuffer into) throws IOException {
    long end = Math.min(stored.sizeBytes(), offset + into.remaining());
    ChunkList list = stored.chunks();
    for (long at = offset - offset % list.size(); at < end; at += list.size()) {
      String d = list.sha256().get((int) (at / list.size()));
      if (d != null) {
        await(d);
      }
    }
    int n = 0;
    while (offset + n < end) {
      int got = channel.read(into, offset + n);
      if (got < 0) {
        break;
      }
      n += got;
    }
    return n;
  }

  private void await(String sha256) throws IOException {
    CompletableFuture<Void> f = ready.get(sha256);
    if (f.isDone() && !f.isCompletedExceptionally()) {
      return;
    }
    waits.increment();
    queue.hurry(sha256);
    try {
      f.get(READ_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted waiting for a chunk of " + what(), e);
    } catch (ExecutionException e) {
      throw new IOException(
          "chunk of " + what() + " unavailable: " + e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      throw new IOException(
          "chunk of " + what() + " not there within " + READ_WAIT.toSeconds() + " s");
    }
  }

  /**
   * Asks for the chunks at {@code indexes} before the rest (a snapshot's first clone read them).
   */
  public void readFirst(List<Integer> indexes) {
    queue.readFirst(indexes);
  }

  /** Lets the fill go on past the chunks read first and waited for. */
  public void fetchRest() {
    queue.letRest();
  }

  /** Bytes received from storage so far (as stored, compressed). */
  public long fetchedBytes() {
    return fetchedBytes.sum();
  }

  /** The failure that ended the fill, once one has. */
  public Optional<IOException> failure() {
    if (failure.get() != null) {
      return Optional.of(failure.get());
    }
    if (done.isCompletedExceptionally()) {
      try {
        done.join();
      } catch (java.util.concurrent.CompletionException e) {
        return Optional.of(
            e.getCause() instanceof IOException io ? io : new IOException(e.getCause()));
      }
    }
    return Optional.empty();
  }

  /** Reads that had to wait for their chunk. */
  public long waits() {
    return waits.sum();
  }

  /**
   * Completes once every chunk is written and the whole file matches the image's SHA-256; fails
   * with the first failure.
   */
  public CompletableFuture<Void> done() {
    return done;
  }

  private void work() {
    try {
      for (Optional<String> d = queue.next(); d.isPresent(); d = queue.next()) {
        fill(d.get());
      }
    } catch (InterruptedException e) {
      fail(new IOException("the fill of " + what() + " was stopped", e));
    } catch (IOException | RuntimeException e) {
      fail(
          e instanceof IOException io
              ? io
              : new IOException("cannot fill " + what() + ": " + e.getMessage(), e));
    }
  }

  private void fill(String sha256) throws IOException {
    List<Integer> at = places.get(sha256);
    int length = stored.chunks().length(at.get(0), stored.sizeBytes());
    var chunk = reader.chunk(sha256, length);
    fetchedBytes.add(chunk.storedBytes());
    byte[] data = chunk.data();
    if (!Digests.sha256(data, 0, length).equals(sha256)) {
      throw new IOException("chunk " + sha256 + " of " + what() + " is corrupt");
    }
    for (int i : at) {
      ByteBuffer b = ByteBuffer.wrap(data, 0, length);
      long offset = stored.chunks().offset(i);
      while (b.hasRemaining()) {
        offset += channel.write(b, offset);
      }
    }
    ready.get(sha256).complete(null);
  }

  private void finish(Throwable failed) {
    try {
      if (failed != null) {
        done.completeExceptionally(failure.get() != null ? failure.get() : failed);
        return;
      }
      channel.force(true);
      String sha = Digests.sha256(file);
      if (!sha.equals(stored.sha256())) {
        throw new IOException(what() + " filled has SHA-256 " + sha + ", not " + stored.sha256());
      }
      done.complete(null);
    } catch (IOException | RuntimeException e) {
      done.completeExceptionally(e);
    } finally {
      pool.shutdown();
    }
  }

  private void fail(IOException e) {
    if (failure.compareAndSet(null, e)) {
      queue.stop();
      ready.values().forEach(f -> f.completeExceptionally(e));
    }
  }

  private String what() {
    return "root image " + stored.imageDigest();
  }

  /**
   * Stops the fill (reads still waiting fail) and closes the file: nothing reads it any more. A
   * complete fill's file stays readable until then.
   */
  @Override
  public void close() {
    fail(new IOException("the fill of " + what() + " was stopped"));
    pool.shutdownNow();
    try {
      channel.close();
    } catch (IOException e) {
      // nothing left to read from it
    }
  }
}
