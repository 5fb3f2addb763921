package dev.thaw.node.snapshot;

import dev.thaw.core.concurrent.DaemonThreads;
import dev.thaw.core.io.Digests;
import dev.thaw.core.io.FileTrees;
import dev.thaw.core.snapshot.ChunkList;
import dev.thaw.core.snapshot.Chunker;
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
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

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

  /** Each worker's buffer for local copies; grown to the largest chunk it has copied. */
  private static final ThreadLocal<byte[]> BUFFER = ThreadLocal.withInitial(() -> new byte[0]);

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
    this.pool = Executors.newFixedThreadPool(parallelism, DaemonThreads.numbered("thaw-chunk"));
  }

  /**
   * Creates every file of {@code manifest} in {@code dir} at its full size, all holes.
   *
   * @throws CacheWriteException when {@code dir}'s filesystem refuses
   */
  public static void allocate(SnapshotManifest manifest, Path dir) throws IOException {
    for (SnapshotFile f : manifest.files()) {
      createSparse(dir.resolve(f.name()), f.size());
    }
  }

  /** Creates {@code file} as {@code size} bytes of holes (or resizes it so). */
  static void createSparse(Path file, long size) throws CacheWriteException {
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      raf.setLength(size);
    } catch (IOException e) {
      throw new CacheWriteException("create", file, e);
    }
  }

  /** One place a chunk goes. */
  record Target(Path file, FileChannel out, long offset) {}

  /**
   * Fills the files {@link #allocate} created.
   *
   * @throws SnapshotMismatchException when a chunk is corrupt in storage
   * @throws CacheWriteException when the files cannot be written (a full disk)
   * @throws IOException when a chunk is missing or storage fails
   */
  public Transfer assemble(SnapshotManifest manifest, Path dir, LocalChunks local)
      throws IOException {
    return assemble(manifest, dir, local, () -> packIndex(manifest));
  }

  /**
   * Like {@link #assemble(SnapshotManifest, Path, LocalChunks)} with the revision's pack index from
   * {@code pack} (a read started earlier, say), asked only when a chunk has to be fetched.
   */
  public Transfer assemble(
      SnapshotManifest manifest, Path dir, LocalChunks local, Supplier<Optional<PackIndex>> pack)
      throws IOException {
    Map<String, List<Target>> targets = new LinkedHashMap<>();
    Map<String, Integer> lengths = manifest.chunks();
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
                .add(new Target(dir.resolve(f.name()), out, chunks.offset(i)));
          }
        }
      }
      ExecutorCompletionService<Void> done = new ExecutorCompletionService<>(pool);
      // Each chunk is either held by a local cache entry (copied) or fetched.
      Map<String, LocalChunks.Location> held = new LinkedHashMap<>();
      List<String> remote = new ArrayList<>();
      for (String d : targets.keySet()) {
        local.find(d).ifPresentOrElse(at -> held.put(d, at), () -> remote.add(d));
      }
      Map<String, PackIndex.Entry> packed = new HashMap<>();
      if (!remote.isEmpty()) {
        pack.get().ifPresent(p -> p.entries().forEach(e -> packed.put(e.sha256(), e)));
      }
      // Downloads first: they wait on the network, copies only on the disk.
      List<PackIndex.Entry> inPack = new ArrayList<>();
      for (String d : remote) {
        PackIndex.Entry e = packed.get(d);
        if (e != null) {
          inPack.add(e);
          continue;
        }
        int length = lengths.get(d);
        tasks.add(
            done.submit(
                () -> {
                  byte[] data = fetchVerified(store, d, length, fetchedBytes, refetches);
                  fetched.incrementAndGet();
                  write(targets.get(d), data, length);
                  return null;
                }));
      }
      for (List<PackIndex.Entry> run : runs(inPack)) {
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
                    if (!got.get(i).verified() && !Digests.sha256(data, 0, data.length).equals(d)) {
                      // The pack's copy is bad: the chunk's own object is the second try.
                      data = refetch(store, d, length, fetchedBytes, refetches);
                    }
                    fetched.incrementAndGet();
                    write(targets.get(d), data, length);
                  }
                  return null;
                }));
      }
      for (var h : held.entrySet()) {
        String d = h.getKey();
        int length = lengths.get(d);
        tasks.add(
            done.submit(
                () -> {
                  byte[] data = read(sources, h.getValue());
                  copied.incrementAndGet();
                  copiedBytes.add(length);
                  write(targets.get(d), data, length);
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

  /**
   * A chunk's own object, checked against its name and fetched a second time if the first copy was
   * bad.
   *
   * @throws SnapshotMismatchException when the second copy is bad too
   */
  static byte[] fetchVerified(
      SnapshotStore store, String sha256, int length, LongAdder bytes, AtomicInteger refetches)
      throws IOException {
    byte[] data = fetchObject(store, sha256, length, bytes);
    return data != null ? data : refetch(store, sha256, length, bytes, refetches);
  }

  /** A chunk's own object, or null when it does not decode or match its name. */
  private static byte[] fetchObject(SnapshotStore store, String sha256, int length, LongAdder bytes)
      throws IOException {
    try {
      SnapshotStore.FetchedChunk chunk = store.chunk(sha256, length);
      bytes.add(chunk.storedBytes());
      byte[] data = chunk.data();
      return Digests.sha256(data, 0, data.length).equals(sha256) ? data : null;
    } catch (SnapshotMismatchException e) {
      return null;
    }
  }

  /** The second and last try at a chunk whose first copy was bad. */
  private static byte[] refetch(
      SnapshotStore store, String sha256, int length, LongAdder bytes, AtomicInteger refetches)
      throws IOException {
    refetches.incrementAndGet();
    byte[] data = fetchObject(store, sha256, length, bytes);
    if (data == null) {
      throw new SnapshotMismatchException(
          "chunk " + sha256 + " is corrupt in remote storage (fetched twice)", null);
    }
    return data;
  }

  private Optional<PackIndex> packIndex(SnapshotManifest manifest) {
    try {
      return store.packIndex(manifest.revision());
    } catch (IOException e) {
      return Optional.empty(); // chunk by chunk, then
    }
  }

  /**
   * Groups pack entries into runs that one ranged read each fetches: entries closer than {@link
   * #GAP} join (reading a little unwanted data beats another request), and a run ends at {@code
   * max(MIN_RUN, wanted bytes ÷ parallelism)} so that the runs still go in parallel.
   */
  private List<List<PackIndex.Entry>> runs(List<PackIndex.Entry> entries) {
    entries.sort(Comparator.comparingLong(PackIndex.Entry::offset));
    long total = entries.stream().mapToLong(PackIndex.Entry::length).sum();
    long max = Math.max(MIN_RUN, total / parallelism + 1);
    List<List<PackIndex.Entry>> runs = new ArrayList<>();
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

  /** Reads a local chunk into this thread's buffer (valid until its next read). */
  private static byte[] read(Map<Path, FileChannel> sources, LocalChunks.Location at)
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
    byte[] data = BUFFER.get();
    if (data.length < at.length()) {
      data = new byte[at.length()];
      BUFFER.set(data);
    }
    FileTrees.readFully(in, data, at.length(), at.offset());
    return data;
  }

  /**
   * Writes a chunk at each of its places, non-zero pages only: the files are all holes already, a
   * hole reads as zeros, and guest memory chunks are often mostly zero pages.
   */
  static void write(List<Target> targets, byte[] data, int length) throws IOException {
    for (int from = 0; from < length; ) {
      while (from < length && Chunker.isZero(data, from, Math.min(from + PAGE, length))) {
        from += PAGE;
      }
      int to = from;
      while (to < length && !Chunker.isZero(data, to, Math.min(to + PAGE, length))) {
        to += PAGE;
      }
      to = Math.min(to, length);
      for (Target t : targets) {
        ByteBuffer b = ByteBuffer.wrap(data, from, to - from);
        try {
          while (b.hasRemaining()) {
            t.out().write(b, t.offset() + b.position());
          }
        } catch (IOException e) {
          throw new CacheWriteException("write", t.file(), e);
        }
      }
      from = to;
    }
  }

  @Override
  public void close() {
    pool.shutdownNow();
  }
}
