package dev.thaw.node.snapshot;

import dev.thaw.core.concurrent.DaemonThreads;
import dev.thaw.core.io.Digests;
import dev.thaw.core.io.FileTrees;
import dev.thaw.core.lazy.FileServer;
import dev.thaw.core.lazy.ServedFile;
import dev.thaw.core.snapshot.ChunkList;
import dev.thaw.core.snapshot.PackIndex;
import dev.thaw.core.snapshot.SnapshotFile;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotStore;
import dev.thaw.core.snapshot.WorkingPages;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fills the files of a chunked snapshot in the background while its memory file is already being
 * read ({@link #memory()}, served to the VMM through a {@link dev.thaw.core.lazy.FileServer}).
 * First come the device state and the working set: the pages the snapshot's first clone read, as
 * one object ({@link WorkingPages}), or, for a snapshot without one (or whose object cannot be
 * had), the whole chunks it read. {@link #priority()} completes when they are written. Then, once
 * {@link #fetchRest()} is called (the guest has answered), the rest, the first clone's chunks
 * first; a read of a chunk not yet written moves it to the front and waits for it (a page of the
 * working set never waits once the working set is written). Each chunk is copied from a local cache
 * entry that holds it or fetched and checked against its SHA-256, as in {@link ChunkAssembler};
 * zero chunks are holes of the sparse files and never wait.
 *
 * <p>A chunk that cannot be had fails the whole fill: waiting and later reads get an {@link
 * IOException} (the reading VMM an I/O error), never a hang, and {@link #done()} fails so that the
 * files never become a cache entry.
 */
final class LazyFill implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LazyFill.class);

  /** How long a read waits for its chunk before it fails. */
  static final Duration READ_WAIT = Duration.ofSeconds(30);

  /** Chunks a worker takes at once when no read waits. */
  private static final int BATCH = 16;

  /** Zero bytes stored into the page cache at once (never written to). */
  private static final byte[] ZEROS = new byte[256 << 10];

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
  private final Consumer<Duration> onWait;

  /**
   * Chunks fetched before the guest resumes: the first {@code priorityChunks} of {@link #order}.
   */
  private int priorityChunks;

  private final Optional<WorkingPages> pages;
  private final BitSet pageSet = new BitSet();
  private final CompletableFuture<Void> pagesReady = new CompletableFuture<>();
  private volatile boolean pagesWritten;

  /** The working pages as received, until {@link #preload} has put them into the page cache. */
  private volatile ByteBuffer pagesData;

  private final AtomicLong pagesFetchedBytes = new AtomicLong();
  private FileChannel memoryChannel;
  private long memorySize;

  /**
   * Starts filling the files {@link ChunkAssembler#allocate} created in {@code dir}.
   *
   * @param pagesFetch the working pages, asked for alongside the manifest ({@link #askForPages});
   *     unused when the manifest names none
   * @param parallelism chunks fetched at once
   * @param onWait told how long each read that had to wait for its chunk waited
   */
  LazyFill(
      SnapshotManifest manifest,
      Path dir,
      LocalChunks local,
      SnapshotStore store,
      Optional<PackIndex> pack,
      CompletableFuture<Optional<SnapshotStore.FetchedPages>> pagesFetch,
      int parallelism,
      Consumer<Duration> onWait)
      throws IOException {
    this.manifest = manifest;
    this.onWait = onWait;
    pack.ifPresent(p -> p.entries().forEach(e -> packed.put(e.sha256(), e)));
    this.store = store;
    this.local = local;
    this.lengths = manifest.chunks();
    LinkedHashSet<String> first = new LinkedHashSet<>();
    LinkedHashSet<String> touched = new LinkedHashSet<>();
    LinkedHashSet<String> all = new LinkedHashSet<>();
    WorkingPages workingPages = null;
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
          if (f.role() != SnapshotFile.Role.MEMORY) {
            // The device state, and the disk layer of a function from an image: QEMU reads them
            // as plain files, from its start.
            first.add(d);
          }
        }
        if (f.role() == SnapshotFile.Role.MEMORY) {
          for (int i : chunks.firstTouch()) {
            if (!chunks.isZero(i)) {
              touched.add(chunks.sha256().get(i));
            }
          }
          workingPages = chunks.pages();
          memoryView = new View(f, out);
          memoryChannel = out;
          memorySize = f.size();
        }
      }
    } catch (IOException | RuntimeException e) {
      closeChannels();
      throw e;
    }
    this.zeroBytes = zero;
    this.memory = memoryView;
    this.pages = Optional.ofNullable(workingPages);
    touched.removeAll(first);
    // Each set is waited for whole anyway: fetch it in pack order, so that neighbours come with
    // one ranged read; the device state, then the first clone's chunks, then the rest.
    Comparator<String> inPack =
        Comparator.comparingLong(d -> packed.containsKey(d) ? packed.get(d).offset() : -1L);
    List<String> ordered = new ArrayList<>(first);
    ordered.sort(inPack);
    List<String> firstClone = new ArrayList<>(touched);
    firstClone.sort(inPack);
    ordered.addAll(firstClone);
    List<String> rest = new ArrayList<>(all);
    rest.removeAll(first);
    rest.removeAll(touched);
    rest.sort(inPack);
    ordered.addAll(rest);
    this.order = List.copyOf(ordered);
    CompletableFuture<Void> chunksFirst =
        CompletableFuture.allOf(first.stream().map(ready::get).toArray(CompletableFuture[]::new));
    CompletableFuture<Void> touchedChunks =
        CompletableFuture.allOf(touched.stream().map(ready::get).toArray(CompletableFuture[]::new));
    if (pages.isPresent()) {
      this.priorityChunks = first.size();
      this.priority = CompletableFuture.allOf(chunksFirst, pagesReady);
    } else {
      this.priorityChunks = first.size() + touched.size();
      this.priority = CompletableFuture.allOf(chunksFirst, touchedChunks);
    }
    this.workers =
        Executors.newFixedThreadPool(parallelism + 1, DaemonThreads.numbered("thaw-lazy-fill"));
    if (pages.isPresent()) {
      workers.execute(
          () -> fetchPages(pages.get(), pagesFetch, first.size() + touched.size(), touchedChunks));
    }
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

  /**
   * Asks {@code store} for the working pages of {@code revision} on {@code executor}, before its
   * manifest is known (so no request waits for the manifest's); at most {@code maxLength} bytes,
   * the memory file's size. The fill checks their length and digest against the manifest.
   */
  static CompletableFuture<Optional<SnapshotStore.FetchedPages>> askForPages(
      SnapshotStore store, String revision, long maxLength, Executor executor) {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            return store.workingPages(revision, maxLength);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        },
        executor);
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
    pagesData = null; // preloaded long before, or never to be
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
    synchronized (wake) {
      return priorityChunks;
    }
  }

  /**
   * The byte ranges of the memory file the guest is expected to read first, all there once {@link
   * #priority()} completed: the working pages when they arrived, else the first clone's chunks.
   */
  List<long[]> workingSetRanges() {
    if (!pagesWritten) {
      return firstTouchRanges(false);
    }
    // Zero chunks the first clone read cost no fetch; in the page cache, they spare the guest a
    // round trip through the file server for each page it takes from its free memory.
    List<long[]> ranges = new ArrayList<>(pages.orElseThrow().ranges());
    ranges.addAll(firstTouchRanges(true));
    return merged(ranges);
  }

  /** The chunks of the memory file the first clone read (its zero chunks alone), merged. */
  private List<long[]> firstTouchRanges(boolean zeroOnly) {
    List<long[]> ranges = new ArrayList<>();
    manifest
        .file(SnapshotFile.Role.MEMORY)
        .ifPresent(
            f -> {
              ChunkList chunks = f.chunks();
              for (int i : chunks.firstTouch()) {
                if (!zeroOnly || chunks.isZero(i)) {
                  ranges.add(new long[] {chunks.offset(i), chunks.length(i, f.size())});
                }
              }
            });
    return merged(ranges);
  }

  /** {@code ranges} sorted, overlapping and touching ones joined. */
  private static List<long[]> merged(List<long[]> ranges) {
    ranges.sort(Comparator.comparingLong(r -> r[0]));
    List<long[]> merged = new ArrayList<>();
    for (long[] r : ranges) {
      long[] last = merged.isEmpty() ? null : merged.get(merged.size() - 1);
      if (last != null && r[0] <= last[0] + last[1]) {
        last[1] = Math.max(last[1], r[0] + r[1] - last[0]);
      } else {
        merged.add(new long[] {r[0], r[1]});
      }
    }
    return merged;
  }

  /**
   * Puts the working set into the page cache of the served memory file {@code name} once {@link
   * #priority()} completed, while the VMM starts: the working pages straight from the bytes
   * received, and the zero chunks the first clone read as zeros, when {@code server} can take them
   * ({@link FileServer#store}); otherwise the kernel reads {@link #workingSetRanges()} ahead
   * through the server, which then reads them back from the files.
   */
  void preload(FileServer server, String name) throws IOException {
    ByteBuffer data = pagesData;
    pagesData = null;
    try {
      if (data != null && store(server, name, data)) {
        return;
      }
    } catch (IOException e) {
      log.warn(
          "cannot store {}'s working set: {}; reading it ahead",
          manifest.revision(),
          e.getMessage());
    }
    server.readAhead(name, workingSetRanges());
  }

  /** Stores the working pages and the first clone's zero chunks; false if the server cannot. */
  private boolean store(FileServer server, String name, ByteBuffer data) throws IOException {
    int at = 0;
    for (long[] r : pages.orElseThrow().ranges()) {
      if (!server.store(name, r[0], data.slice(at, (int) r[1]))) {
        return false;
      }
      at += (int) r[1];
    }
    for (long[] r : firstTouchRanges(true)) {
      for (long done = 0; done < r[1]; done += ZEROS.length) {
        server.store(
            name,
            r[0] + done,
            ByteBuffer.wrap(ZEROS, 0, (int) Math.min(ZEROS.length, r[1] - done)));
      }
    }
    return true;
  }

  /** Bytes received for the working pages. */
  long pagesFetchedBytes() {
    return pagesFetchedBytes.get();
  }

  /**
   * Takes the working pages (one request, made alongside the manifest), checks them, writes them
   * into the memory file and lets reads of them through. When they cannot be had, the chunks they
   * lie in take their place: the workers fetch the first clone's chunks ({@code withTouched} chunks
   * of {@link #order}) before the guest resumes, as for a snapshot without working pages.
   */
  private void fetchPages(
      WorkingPages wanted,
      CompletableFuture<Optional<SnapshotStore.FetchedPages>> asked,
      int withTouched,
      CompletableFuture<Void> touchedChunks) {
    try {
      Optional<SnapshotStore.FetchedPages> got;
      try {
        got = asked.join();
      } catch (CompletionException e) {
        if (e.getCause() instanceof UncheckedIOException u) {
          throw u.getCause();
        }
        throw e;
      }
      if (got.isEmpty()) {
        throw new IOException("remote storage has none");
      }
      ByteBuffer data = got.get().data().slice();
      pagesFetchedBytes.set(got.get().storedBytes());
      fetchedBytes.add(got.get().storedBytes());
      if (data.remaining() != wanted.bytes()) {
        throw new IOException(
            "they are " + data.remaining() + " bytes, the manifest says " + wanted.bytes());
      }
      MessageDigest sha = Digests.newSha256();
      sha.update(data.duplicate());
      if (!Digests.hex(sha).equals(wanted.sha256())) {
        throw new IOException("they differ from the manifest's digest");
      }
      int at = 0;
      for (long[] r : wanted.ranges()) {
        if (r[0] + r[1] > memorySize) {
          throw new IOException("they lie beyond the memory file");
        }
        ByteBuffer b = data.slice(at, (int) r[1]);
        for (long to = r[0]; b.hasRemaining(); ) {
          to += memoryChannel.write(b, to);
        }
        at += (int) r[1];
      }
      for (int i = 0; i < wanted.runs().size(); i += 2) {
        long p = wanted.runs().get(i);
        pageSet.set((int) p, (int) (p + wanted.runs().get(i + 1)));
      }
      pagesData = data;
      pagesWritten = true;
      pagesReady.complete(null);
    } catch (IOException | RuntimeException e) {
      log.warn(
          "cannot use the working pages of {} ({}): fetching its first clone's chunks instead",
          manifest.revision(),
          e.getMessage());
      synchronized (wake) {
        priorityChunks = withTouched;
        wake.notifyAll();
      }
      touchedChunks.whenComplete(
          (ok, failed) -> {
            if (failed != null) {
              pagesReady.completeExceptionally(failed);
            } else {
              pagesReady.complete(null);
            }
          });
    }
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
    long t0 = System.nanoTime();
    try {
      awaitWritten(d, f);
    } finally {
      onWait.accept(Duration.ofNanos(System.nanoTime() - t0));
    }
  }

  private void awaitWritten(String d, CompletableFuture<Void> f) throws IOException {
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

  /** Whether every page of {@code [from, to)} of the memory file is a written working page. */
  private boolean inWorkingPages(long from, long to) {
    if (!pagesWritten) {
      return false;
    }
    int first = (int) (from / WorkingPages.PAGE);
    int end = (int) ((to + WorkingPages.PAGE - 1) / WorkingPages.PAGE);
    return pageSet.nextClearBit(first) >= end;
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
        if (d != null && !inWorkingPages(Math.max(at, offset), Math.min(end, at + chunks.size()))) {
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
    pagesData = null;
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
