package dev.thaw.node;

import dev.thaw.core.io.Digests;
import dev.thaw.core.snapshot.ChunkList;
import dev.thaw.core.snapshot.PackIndex;
import dev.thaw.core.snapshot.SnapshotFile;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotMismatchException;
import dev.thaw.core.snapshot.SnapshotStore;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Rebuilds the files of a format-2 snapshot from chunks: each distinct chunk is copied from the
 * local cache when an entry there holds it, else fetched, decoded and checked against its SHA-256,
 * then written at every offset that lists it. Chunks are handled in parallel, each one's fetch,
 * decode, check and write back to back, so the network, the decoder and the disk overlap. Zero
 * chunks are never touched: the files are created sparse at full size first.
 *
 * <p>A fetched chunk whose content does not match its name is fetched once more (a transfer may
 * have damaged it); if it is still wrong the assembly fails, naming the chunk.
 */
public final class ChunkAssembler implements AutoCloseable {
  private static final int PAGE = 4096;
  private static final ByteBuffer ZERO_PAGE = ByteBuffer.allocateDirect(PAGE);

  /** Each worker's buffer for local copies; grown to the largest chunk it has copied. */
  private static final ThreadLocal<ByteBuffer> BUFFER =
      ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(0));

  /** Unwanted pack bytes worth reading to save a request. */
  private static final long GAP = 64 << 10;

  /** Smallest run worth a request of its own. */
  private static final long MIN_RUN = 256 << 10;

  private final SnapshotStore store;
  private final ExecutorService pool;
  private final int parallelism;

  /**
   * What one assembly moved.
   *
   * @param fetchedChunks chunks downloaded
   * @param fetchedBytes bytes that crossed the network for them (compressed)
   * @param copiedChunks chunks copied from local cache entries
   * @param copiedBytes their bytes
   * @param refetches chunks fetched a second time after a failed check
   * @param zeroBytes bytes of zero chunks, never stored nor written
   */
  public record Transfer(
      int fetchedChunks,
      long fetchedBytes,
      int copiedChunks,
      long copiedBytes,
      int refetches,
      long zeroBytes) {}

  public ChunkAssembler(SnapshotStore store, int parallelism) {
    this.store = store;
    this.parallelism = parallelism;
    AtomicInteger n = new AtomicInteger();
    this.pool =
        Executors.newFixedThreadPool(
            parallelism,
            r -> {
              Thread t = new Thread(r, "thaw-chunk-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
  }

  /** Creates every file of {@code manifest} in {@code dir} at its full size, all holes. */
  public static void allocate(SnapshotManifest manifest, Path dir) throws IOException {
    for (SnapshotFile f : manifest.files()) {
      try (RandomAccessFile raf = new RandomAccessFile(dir.resolve(f.name()).toFile(), "rw")) {
        raf.setLength(f.size());
      }
    }
  }

  /** One place a chunk goes. */
  private record Target(FileChannel out, long offset) {}

  /**
   * Fills the files {@link #allocate} created.
   *
   * @throws SnapshotMismatchException when a chunk is corrupt in storage
   * @throws IOException when a chunk is missing or storage or disk fails
   */
  public Transfer assemble(SnapshotManifest manifest, Path dir, LocalChunks local)
      throws IOException {
    return assemble(manifest, dir, local, null);
  }

  /**
   * Like {@link #assemble(SnapshotManifest, Path, LocalChunks)} with the revision's pack index
   * already read ({@code null}: read it here).
   */
  public Transfer assemble(
      SnapshotManifest manifest, Path dir, LocalChunks local, Optional<PackIndex> knownPack)
      throws IOException {
    Map<String, List<Target>> targets = new LinkedHashMap<>();
    Map<String, Integer> lengths = new LinkedHashMap<>();
    List<FileChannel> outs = new ArrayList<>();
    Map<Path, FileChannel> sources = new ConcurrentHashMap<>();
    long zero = 0;
    LongAdder fetchedBytes = new LongAdder();
    LongAdder copiedBytes = new LongAdder();
    AtomicInteger fetched = new AtomicInteger();
    AtomicInteger copied = new AtomicInteger();
    AtomicInteger refetches = new AtomicInteger();
    List<Future<Void>> tasks = new ArrayList<>();
    try {
      for (SnapshotFile f : manifest.files()) {
        if (f.chunks() == null) {
          throw new IllegalArgumentException("format-1 file " + f.name() + " has no chunks");
        }
        FileChannel out = FileChannel.open(dir.resolve(f.name()), StandardOpenOption.WRITE);
        outs.add(out);
        ChunkList chunks = f.chunks();
        for (int i = 0; i < chunks.sha256().size(); i++) {
          String d = chunks.sha256().get(i);
          if (d == null) {
            zero += chunks.length(i, f.size());
          } else {
            targets
                .computeIfAbsent(d, k -> new ArrayList<>())
                .add(new Target(out, chunks.offset(i)));
            lengths.put(d, chunks.length(i, f.size()));
          }
        }
      }
      ExecutorCompletionService<Void> done = new ExecutorCompletionService<>(pool);
      List<String> remote = targets.keySet().stream().filter(d -> local.find(d).isEmpty()).toList();
      Optional<PackIndex> pack =
          remote.isEmpty() ? Optional.empty() : knownPack != null ? knownPack : packIndex(manifest);
      // Downloads first: they wait on the network, copies only on the disk.
      List<String> single = remote;
      if (pack.isPresent()) {
        Set<String> packed = new HashSet<>();
        pack.get().entries().forEach(e -> packed.add(e.sha256()));
        single = remote.stream().filter(d -> !packed.contains(d)).toList();
        for (List<PackIndex.Entry> run : runs(pack.get(), remote)) {
          tasks.add(
              done.submit(
                  () -> {
                    List<Integer> runLengths =
                        run.stream().map(e -> lengths.get(e.sha256())).toList();
                    List<SnapshotStore.FetchedChunk> got =
                        store.packChunks(manifest.revision(), run, runLengths);
                    for (int i = 0; i < run.size(); i++) {
                      String d = run.get(i).sha256();
                      int length = runLengths.get(i);
                      fetchedBytes.add(got.get(i).storedBytes());
                      byte[] data = got.get(i).data();
                      if (!sha256(data).equals(d)) {
                        // The pack's copy is bad: the chunk's own object is the second try.
                        refetches.incrementAndGet();
                        data = fetchChecked(d, length, fetchedBytes, 1);
                      }
                      fetched.incrementAndGet();
                      for (Target t : targets.get(d)) {
                        write(t, data, length);
                      }
                    }
                    return null;
                  }));
        }
      }
      for (String d : single) {
        int length = lengths.get(d);
        tasks.add(
            done.submit(
                () -> {
                  byte[] data = fetchChecked(d, length, fetchedBytes, 2, refetches);
                  fetched.incrementAndGet();
                  for (Target t : targets.get(d)) {
                    write(t, data, length);
                  }
                  return null;
                }));
      }
      for (String d : targets.keySet()) {
        var here = local.find(d);
        if (here.isEmpty()) {
          continue;
        }
        int length = lengths.get(d);
        tasks.add(
            done.submit(
                () -> {
                  ByteBuffer data = read(sources, here.get());
                  copied.incrementAndGet();
                  copiedBytes.add(length);
                  for (Target t : targets.get(d)) {
                    write(t, data);
                  }
                  return null;
                }));
      }
      for (int i = 0; i < tasks.size(); i++) {
        done.take().get();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted assembling " + manifest.revision(), e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      throw new IOException("cannot assemble " + manifest.revision() + ": " + cause, cause);
    } finally {
      tasks.forEach(t -> t.cancel(true));
      for (FileChannel c : outs) {
        c.close();
      }
      for (FileChannel c : sources.values()) {
        c.close();
      }
    }
    return new Transfer(
        fetched.get(), fetchedBytes.sum(), copied.get(), copiedBytes.sum(), refetches.get(), zero);
  }

  /** Fetches a chunk's own object up to {@code attempts} times until its content matches. */
  private byte[] fetchChecked(String sha256, int length, LongAdder bytes, int attempts)
      throws IOException {
    return fetchChecked(sha256, length, bytes, attempts, new AtomicInteger());
  }

  private byte[] fetchChecked(
      String sha256, int length, LongAdder bytes, int attempts, AtomicInteger refetches)
      throws IOException {
    String problem = null;
    for (int attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1) {
        refetches.incrementAndGet();
      }
      try {
        SnapshotStore.FetchedChunk chunk = store.chunk(sha256, length);
        bytes.add(chunk.storedBytes());
        String actual = sha256(chunk.data());
        if (actual.equals(sha256)) {
          return chunk.data();
        }
        problem = "its content has sha256 " + actual;
      } catch (SnapshotMismatchException e) {
        problem = e.getMessage();
      }
    }
    throw new SnapshotMismatchException(
        "chunk " + sha256 + " is corrupt in remote storage (fetched twice): " + problem, null);
  }

  private static String sha256(byte[] data) {
    return HexFormat.of().formatHex(Digests.newSha256().digest(data));
  }

  private Optional<PackIndex> packIndex(SnapshotManifest manifest) {
    try {
      return store.packIndex(manifest.revision());
    } catch (IOException e) {
      return Optional.empty(); // chunk by chunk, then
    }
  }

  /**
   * Groups the wanted chunks' pack entries into runs that one ranged read each fetches: entries
   * closer than {@link #GAP} join (reading a little unwanted data beats another request), and a run
   * ends at {@code max(MIN_RUN, wanted bytes ÷ parallelism)} so that the runs still go in parallel.
   * Chunks the pack lacks are left out: they are fetched from their own objects.
   */
  private List<List<PackIndex.Entry>> runs(PackIndex pack, List<String> wanted) {
    Map<String, PackIndex.Entry> bySha = new java.util.HashMap<>();
    pack.entries().forEach(e -> bySha.put(e.sha256(), e));
    List<PackIndex.Entry> entries = new ArrayList<>();
    List<List<PackIndex.Entry>> runs = new ArrayList<>();
    for (String d : wanted) {
      PackIndex.Entry e = bySha.get(d);
      if (e != null) {
        entries.add(e);
      }
    }
    entries.sort(java.util.Comparator.comparingLong(PackIndex.Entry::offset));
    long total = entries.stream().mapToLong(PackIndex.Entry::length).sum();
    long max = Math.max(MIN_RUN, total / parallelism + 1);
    List<PackIndex.Entry> run = new ArrayList<>();
    for (PackIndex.Entry e : entries) {
      if (!run.isEmpty()
          && (e.offset() - run.get(run.size() - 1).end() > GAP
              || e.end() - run.get(0).offset() > max)) {
        runs.add(run);
        run = new ArrayList<>();
      }
      run.add(e);
    }
    if (!run.isEmpty()) {
      runs.add(run);
    }
    return runs;
  }

  /**
   * Reads a local chunk into this thread's direct buffer: the bytes go from the page cache to the
   * buffer and back with no copy through the Java heap.
   */
  private static ByteBuffer read(Map<Path, FileChannel> sources, LocalChunks.Location at)
      throws IOException {
    FileChannel in;
    try {
      in =
          sources.computeIfAbsent(
              at.file(),
              p -> {
                try {
                  return FileChannel.open(p, StandardOpenOption.READ);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    ByteBuffer b = BUFFER.get();
    if (b.capacity() < at.length()) {
      b = ByteBuffer.allocateDirect(at.length());
      BUFFER.set(b);
    }
    b.clear().limit(at.length());
    while (b.hasRemaining()) {
      if (in.read(b, at.offset() + b.position()) < 0) {
        throw new IOException(at.file() + " ends before chunk at " + at.offset());
      }
    }
    return b.flip();
  }

  /**
   * Writes the chunk's non-zero pages only: the file is all holes already, a hole reads as zeros,
   * and guest memory chunks are often mostly zero pages (page tables, sparse heaps).
   */
  private static void write(Target t, byte[] data, int length) throws IOException {
    write(t, ByteBuffer.wrap(data, 0, length));
  }

  private static void write(Target t, ByteBuffer data) throws IOException {
    int length = data.remaining();
    int at = 0;
    while (at < length) {
      while (at < length && isZeroPage(data, at, length)) {
        at += PAGE;
      }
      int from = at;
      while (at < length && !isZeroPage(data, at, length)) {
        at += PAGE;
      }
      ByteBuffer b = data.slice(from, Math.min(at, length) - from);
      while (b.hasRemaining()) {
        t.out().write(b, t.offset() + from + b.position());
      }
    }
  }

  private static boolean isZeroPage(ByteBuffer data, int at, int length) {
    int n = Math.min(PAGE, length - at);
    return data.slice(at, n).mismatch(ZERO_PAGE.slice(0, n)) < 0;
  }

  @Override
  public void close() {
    pool.shutdownNow();
  }
}
