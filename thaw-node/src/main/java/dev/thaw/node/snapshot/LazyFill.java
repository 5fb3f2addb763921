package dev.thaw.node.snapshot;

import dev.thaw.core.concurrent.DaemonThreads;
import dev.thaw.core.io.Digests;
import dev.thaw.core.io.FileTrees;
import dev.thaw.core.lazy.ServedFile;
import dev.thaw.core.snapshot.ChunkList;
import dev.thaw.core.snapshot.PackIndex;
import dev.thaw.core.snapshot.SnapshotFile;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * Fills the files of a chunked snapshot in the background while its memory file is already being
 * read ({@link #memory()}, served to the VMM through a {@link dev.thaw.core.lazy.FileServer}).
 * Chunks go in priority order: the device state and the memory chunks the snapshot's first clone
 * touched first ({@link #priority()} completes when they are written), then, once {@link
 * #fetchRest()} is called (the guest has answered), the rest; a read of a chunk not yet written
 * moves it to the front and waits for it. Each chunk is copied from a local cache entry that holds
 * it or fetched and checked against its SHA-256, as in {@link ChunkAssembler}; zero chunks are
 * holes of the sparse files and never wait.
 *
 * <p>A chunk that cannot be had fails the whole fill: waiting and later reads get an {@link
 * IOException} (the reading VMM an I/O error), never a hang, and {@link #done()} fails so that the
 * files never become a cache entry.
 */
final class LazyFill implements AutoCloseable {
  /** How long a read waits for its chunk before it fails. */
  static final Duration READ_WAIT = Duration.ofSeconds(30);

  /** Chunks a worker takes at once when no read waits. */
  private static final int BATCH = 16;

  /** Unwanted pack bytes worth reading to save a request. */
  private static final long GAP = 64 << 10;

  private final SnapshotManifest manifest;
  private final SnapshotStore store;
  private final LocalChunks local;
  private final Map<String, List<ChunkAssembler.Target>> targets = new HashMap<>();
  private final Map<String, Integer> lengths;
  private final Map<String, CompletableFuture<Void>> ready = new HashMap<>();
  private final Map<String, Boolean> claimed = new ConcurrentHashMap<>();
  private final Map<String, PackIndex.Entry> packed = new HashMap<>();
  private final ConcurrentLinkedDeque<String> urgent = new ConcurrentLinkedDeque<>();

  /**
   * The priority set, then the rest; {@link #at} and {@link #rest} are guarded by {@link #wake}.
   */
  private final List<String> order;

  private int at;
  private boolean rest;
  private final List<FileChannel> channels = new ArrayList<>();
  private final Map<Path, FileChannel> sources = new ConcurrentHashMap<>();
  private final ExecutorService workers;
  private final CompletableFuture<Void> priority;
  private final CompletableFuture<ChunkAssembler.Transfer> done = new CompletableFuture<>();
  private final AtomicReference<IOException> failure = new AtomicReference<>();
  private final Object wake = new Object();
  private final LongAdder fetchedBytes = new LongAdder();
  private final LongAdder copiedBytes = new LongAdder();
  private final AtomicInteger fetched = new AtomicInteger();
  private final AtomicInteger copied = new AtomicInteger();
  private final AtomicInteger refetches = new AtomicInteger();
  private final AtomicInteger waits = new AtomicInteger();
  private final ServedFile memory;
  private final long zeroBytes;
  private final int priorityChunks;

  /**
   * Starts filling the files {@link ChunkAssembler#allocate} created in {@code dir}.
   *
   * @param parallelism chunks fetched at once
   */
  LazyFill(
      SnapshotManifest manifest,
      Path dir,
      LocalChunks local,
      SnapshotStore store,
      Optional<PackIndex> pack,
      int parallelism)
      throws IOException {
    this.manifest = manifest;
    pack.ifPresent(p -> p.entries().forEach(e -> packed.put(e.sha256(), e)));
    this.store = store;
    this.local = local;
    this.lengths = manifest.chunks();
    LinkedHashSet<String> first = new LinkedHashSet<>();
    LinkedHashSet<String> all = new LinkedHashSet<>();
    ServedFile memoryView = null;
    long zero = 0;
    try {
      for (SnapshotFile f : manifest.files()) {
        Path file = dir.resolve(f.name());
        FileChannel out = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        channels.add(out);
        ChunkList chunks = f.chunks();
        for (int i = 0; i < chunks.sha256().size(); i++) {
          String d = chunks.sha256().get(i);
          if (d == null) {
            zero += chunks.length(i, f.size());
            continue;
          }
          targets
              .computeIfAbsent(d, k -> new ArrayList<>())
              .add(new ChunkAssembler.Target(file, out, chunks.offset(i)));
          ready.computeIfAbsent(d, k -> new CompletableFuture<>());
          all.add(d);
          if (f.role() == SnapshotFile.Role.STATE) {
            first.add(d);
          }
        }
        if (f.role() == SnapshotFile.Role.MEMORY) {
          for (int i : chunks.firstTouch()) {
            if (!chunks.isZero(i)) {
              first.add(chunks.sha256().get(i));
            }
          }
          memoryView = new View(f, out);
        }
      }
    } catch (IOException | RuntimeException e) {
      closeChannels();
      throw e;
    }
    this.zeroBytes = zero;
    this.priorityChunks = first.size();
    this.memory = memoryView;
    this.priority =
        CompletableFuture.allOf(first.stream().map(ready::get).toArray(CompletableFuture[]::new));
    // The whole priority set is waited for anyway: fetch it, then the rest, in pack order, so
    // that neighbours come with one ranged read.
    Comparator<String> inPack =
        Comparator.comparingLong(d -> packed.containsKey(d) ? packed.get(d).offset() : -1L);
    List<String> ordered = new ArrayList<>(first);
    ordered.sort(inPack);
    List<String> rest = new ArrayList<>(all);
    rest.removeAll(first);
    rest.sort(inPack);
    ordered.addAll(rest);
    this.order = List.copyOf(ordered);
    this.workers =
        Executors.newFixedThreadPool(parallelism, DaemonThreads.numbered("thaw-lazy-fill"));
    for (int i = 0; i < parallelism; i++) {
      workers.execute(this::work);
    }
    CompletableFuture.allOf(ready.values().toArray(CompletableFuture[]::new))
        .whenComplete(
            (ok, e) -> {
              fetchRest(); // workers waiting for the go-ahead have nothing left to wait for
              workers.shutdown();
              if (e != null) {
                done.completeExceptionally(failure.get() != null ? failure.get() : e);
              } else {
                done.complete(transfer());
              }
            });
  }

  /** The memory file as it fills: reads of chunks not yet written wait for them. */
  ServedFile memory() {
    return memory;
  }

  /**
   * Lets the workers go on past the priority set. Until then they fetch only the priority set and
   * the chunks reads wait for: the rest would take the network and the CPU (two cores here) from
   * the guest while it resumes and answers its first request, the time a cold start is measured by.
   */
  void fetchRest() {
    synchronized (wake) {
      rest = true;
      wake.notifyAll();
    }
  }

  /** Completes when the device state and the first clone's working set are written. */
  CompletableFuture<Void> priority() {
    return priority;
  }

  /** Completes with what moved once every chunk is written; fails with the first failure. */
  CompletableFuture<ChunkAssembler.Transfer> done() {
    return done;
  }

  /** Distinct chunks fetched before the guest resumes: device state and working set. */
  int priorityChunks() {
    return priorityChunks;
  }

  /** Reads that had to wait for their chunk. */
  int waits() {
    return waits.get();
  }

  /** What moved so far. */
  ChunkAssembler.Transfer transfer() {
    return new ChunkAssembler.Transfer(
        fetched.get(),
        fetchedBytes.sum(),
        copied.get(),
        copiedBytes.sum(),
        refetches.get(),
        zeroBytes);
  }

  private void work() {
    for (List<String> batch = next(); !batch.isEmpty() && failure.get() == null; batch = next()) {
      try {
        fill(batch);
      } catch (IOException | RuntimeException e) {
        fail(
            e instanceof IOException io
                ? io
                : new IOException("cannot fill " + manifest.revision() + ": " + e, e));
      }
    }
  }

  /**
   * Fills a batch: chunks held locally are copied, chunks next to each other in the revision's pack
   * come with one ranged read, others one by one.
   */
  private void fill(List<String> batch) throws IOException {
    List<PackIndex.Entry> run = new ArrayList<>();
    for (String d : batch) {
      PackIndex.Entry e = packed.get(d);
      if (e == null || local.find(d).isPresent()) {
        flush(run);
        put(d, chunk(d));
        continue;
      }
      if (!run.isEmpty() && e.offset() - run.get(run.size() - 1).end() > GAP) {
        flush(run);
      }
      run.add(e);
    }
    flush(run);
  }

  /** Fetches a run of pack entries with one read and writes them; empties {@code run}. */
  private void flush(List<PackIndex.Entry> run) throws IOException {
    if (run.isEmpty()) {
      return;
    }
    List<Integer> runLengths = run.stream().map(e -> lengths.get(e.sha256())).toList();
    List<SnapshotStore.FetchedChunk> got =
        store.packChunks(manifest.revision(), List.copyOf(run), runLengths);
    for (int i = 0; i < run.size(); i++) {
      String d = run.get(i).sha256();
      fetchedBytes.add(got.get(i).storedBytes());
      byte[] data = got.get(i).data();
      if (!got.get(i).verified() && !Digests.sha256(data, 0, data.length).equals(d)) {
        // The pack's copy is bad: the chunk's own object is the second try.
        data = ChunkAssembler.fetchVerified(store, d, runLengths.get(i), fetchedBytes, refetches);
      }
      fetched.incrementAndGet();
      put(d, data);
    }
    run.clear();
  }

  private void put(String d, byte[] data) throws IOException {
    ChunkAssembler.write(targets.get(d), data, lengths.get(d));
    ready.get(d).complete(null);
  }

  /**
   * The next chunks to fill: one a read waits for, else up to {@link #BATCH} next in priority order
   * (sorted by pack offset, so that neighbours come with one read); past the priority set, waits
   * for {@link #fetchRest()} or a read. Empty when nothing is left or the fill failed or stopped.
   */
  private List<String> next() {
    synchronized (wake) {
      while (true) {
        for (String d = urgent.poll(); d != null; d = urgent.poll()) {
          if (claimed.putIfAbsent(d, Boolean.TRUE) == null) {
            return List.of(d);
          }
        }
        if (failure.get() != null || at == order.size()) {
          return List.of();
        }
        int limit = rest ? order.size() : priorityChunks;
        List<String> batch = new ArrayList<>();
        while (at < limit && batch.size() < BATCH) {
          String d = order.get(at++);
          if (claimed.putIfAbsent(d, Boolean.TRUE) == null) {
            batch.add(d);
          }
        }
        if (!batch.isEmpty()) {
          batch.sort(
              Comparator.comparingLong(d -> packed.containsKey(d) ? packed.get(d).offset() : -1L));
          return batch;
        }
        if (at < limit) {
          continue;
        }
        try {
          wake.wait();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt(); // close(): the fill stops
          return List.of();
        }
      }
    }
  }

  private byte[] chunk(String d) throws IOException {
    int length = lengths.get(d);
    var at = local.find(d);
    if (at.isPresent()) {
      FileChannel in = source(at.get().file());
      byte[] data = new byte[at.get().length()];
      FileTrees.readFully(in, data, data.length, at.get().offset());
      copied.incrementAndGet();
      copiedBytes.add(length);
      return data;
    }
    byte[] data = ChunkAssembler.fetchVerified(store, d, length, fetchedBytes, refetches);
    fetched.incrementAndGet();
    return data;
  }

  private FileChannel source(Path file) throws IOException {
    FileChannel c = sources.get(file);
    if (c == null) {
      c = FileChannel.open(file, StandardOpenOption.READ);
      FileChannel raced = sources.putIfAbsent(file, c);
      if (raced != null) {
        c.close();
        c = raced;
      }
    }
    return c;
  }

  private void fail(IOException e) {
    if (failure.compareAndSet(null, e)) {
      ready.values().forEach(f -> f.completeExceptionally(e));
      synchronized (wake) {
        wake.notifyAll();
      }
    }
  }

  /** Waits until chunk {@code d} is written, moving it to the front when no worker has it yet. */
  private void await(String d) throws IOException {
    CompletableFuture<Void> f = ready.get(d);
    if (f.isDone() && !f.isCompletedExceptionally()) {
      return;
    }
    waits.incrementAndGet();
    if (!claimed.containsKey(d)) {
      urgent.addFirst(d);
      synchronized (wake) {
        wake.notifyAll();
      }
      if (workers.isShutdown()) {
        throw new IOException("the fill of " + manifest.revision() + " has stopped");
      }
    }
    try {
      f.get(READ_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted waiting for a chunk of " + manifest.revision(), e);
    } catch (ExecutionException e) {
      throw new IOException(
          "chunk of " + manifest.revision() + " unavailable: " + e.getCause().getMessage(),
          e.getCause());
    } catch (TimeoutException e) {
      throw new IOException(
          "chunk of " + manifest.revision() + " not there within " + READ_WAIT.toSeconds() + " s");
    }
  }

  /** One file as it fills. */
  private final class View implements ServedFile {
    private final SnapshotFile file;
    private final FileChannel channel;

    View(SnapshotFile file, FileChannel channel) {
      this.file = file;
      this.channel = channel;
    }

    @Override
    public long size() {
      return file.size();
    }

    @Override
    public int read(long offset, ByteBuffer into) throws IOException {
      long end = Math.min(file.size(), offset + into.remaining());
      ChunkList chunks = file.chunks();
      for (long at = offset - offset % chunks.size(); at < end; at += chunks.size()) {
        String d = chunks.sha256().get((int) (at / chunks.size()));
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
  }

  private void closeChannels() {
    List<FileChannel> all = new ArrayList<>(channels);
    all.addAll(sources.values());
    for (FileChannel c : all) {
      try {
        c.close();
      } catch (IOException e) {
        // nothing more is read or written through it
      }
    }
  }

  /** Stops the workers, fails reads still waiting and closes the files (a restore that failed). */
  @Override
  public void close() {
    workers.shutdownNow();
    fail(new IOException("the fill of " + manifest.revision() + " was stopped"));
    closeChannels();
  }

  /**
   * Called when the VMM reading the memory file has stopped: the fill still completes (and becomes
   * a cache entry); the files are closed once it has.
   */
  void release() {
    done.whenComplete((t, e) -> closeChannels());
  }
}
