package dev.thaw.node.snapshot.fill;

import dev.thaw.core.concurrent.DaemonThreads;
import dev.thaw.core.snapshot.PackIndex;
import dev.thaw.core.snapshot.SnapshotFile;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotMismatchException;
import dev.thaw.core.snapshot.SnapshotStore;
import dev.thaw.node.snapshot.cache.CacheWriteException;
import dev.thaw.node.snapshot.cache.LocalChunks;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
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
import java.util.function.Supplier;

/**
 * Rebuilds the files of a format-2 snapshot from chunks: each distinct chunk is copied from the
 * local cache when an entry there holds it, else fetched, decoded and checked against its SHA-256,
 * then written at every offset that lists it ({@link LocalChunkSource}, {@link StoreChunkSource},
 * {@link ChunkPlaces}). Chunks are handled in parallel, each one's fetch, decode, check and write
 * back to back, so the network, the decoder and the disk overlap; neighbours in the revision's pack
 * come in runs sized so that the runs still go in parallel. Zero chunks are never touched: the
 * files are created sparse at full size first.
 *
 * <p>A fetched chunk whose content does not match its name is fetched once more (a transfer may
 * have damaged it); if it is still wrong the assembly fails, naming the chunk.
 */
public final class ChunkAssembler implements AutoCloseable {
  /** Smallest run worth a request of its own. */
  private static final long MIN_RUN = 256 << 10;

  private final SnapshotStore store;
  private final ExecutorService pool;
  private final int parallelism;
  private final PeerReads peers;

  /**
   * What one assembly moved.
   *
   * @param fetchedChunks chunks downloaded
   * @param fetchedBytes bytes that crossed the network for them (compressed)
   * @param copiedChunks chunks copied from local cache entries
   * @param copiedBytes their bytes
   * @param refetches chunks fetched a second time after a failed check
   * @param zeroBytes bytes of zero chunks, never stored nor written
   * @param peerChunks chunks received from peers (verified)
   * @param peerBytes their bytes
   * @param peerFallbacks chunks asked of a peer that came from storage instead, by reason
   */
  public record Transfer(
      int fetchedChunks,
      long fetchedBytes,
      int copiedChunks,
      long copiedBytes,
      int refetches,
      long zeroBytes,
      int peerChunks,
      long peerBytes,
      Map<PeerFallback, Integer> peerFallbacks) {
    public Transfer {
      peerFallbacks = Map.copyOf(peerFallbacks);
    }
  }

  public ChunkAssembler(SnapshotStore store, int parallelism) {
    this(store, parallelism, PeerReads.none());
  }

  /** An assembler that reads chunks from the peers {@code peers} finds before storage. */
  public ChunkAssembler(SnapshotStore store, int parallelism, PeerReads peers) {
    this.peers = peers;
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
  public static void createSparse(Path file, long size) throws CacheWriteException {
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      raf.setLength(size);
    } catch (IOException e) {
      throw new CacheWriteException("create", file, e);
    }
  }

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
    TransferTally tally = new TransferTally();
    List<Future<Void>> tasks = new ArrayList<>();
    List<Future<Void>> peerTasks = new ArrayList<>();
    try (ChunkPlaces places = new ChunkPlaces(manifest, dir);
        LocalChunkSource copies = new LocalChunkSource(local, tally)) {
      try {
        ExecutorCompletionService<Void> done = new ExecutorCompletionService<>(pool);
        // Each chunk is either held by a local cache entry (copied) or fetched.
        List<String> held = new ArrayList<>();
        List<String> remote = new ArrayList<>();
        for (String d : places.chunks()) {
          (copies.has(d) ? held : remote).add(d);
        }
        remote = fromPeers(manifest, remote, places, tally, peerTasks);
        StoreChunkSource fetches =
            new StoreChunkSource(
                store,
                manifest,
                remote.isEmpty() ? Optional.empty() : pack.get(),
                tally,
                peers.cost());
        // Downloads first: they wait on the network, copies only on the disk.
        List<PackIndex.Entry> inPack = new ArrayList<>();
        for (String d : remote) {
          Optional<PackIndex.Entry> e = fetches.packEntry(d);
          if (e.isPresent()) {
            inPack.add(e.get());
            continue;
          }
          tasks.add(done.submit(() -> step(() -> places.write(d, fetches.fetch(d)))));
        }
        for (List<PackIndex.Entry> run : runs(inPack)) {
          tasks.add(done.submit(() -> step(() -> fetches.fetchRun(run, places::write))));
        }
        for (String d : held) {
          tasks.add(done.submit(() -> step(() -> copies.supply(List.of(d), places::write))));
        }
        for (int i = 0; i < tasks.size(); i++) {
          done.take().get();
        }
      } finally {
        tasks.forEach(t -> t.cancel(true));
        peerTasks.forEach(t -> t.cancel(true));
      }
      return tally.transfer(places.zeroBytes());
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
    }
  }

  /**
   * Gets what it can of {@code remote} from the peers holding the revision, in batches of {@link
   * FillQueue#BATCH} on the pool, before storage is asked for anything.
   *
   * @return the chunks of {@code remote} the peers did not supply, in order
   */
  private List<String> fromPeers(
      SnapshotManifest manifest,
      List<String> remote,
      ChunkPlaces places,
      TransferTally tally,
      List<Future<Void>> tasks)
      throws InterruptedException, ExecutionException {
    if (remote.isEmpty()) {
      return remote;
    }
    Optional<PeerChunkSource> source = peers.source(manifest, tally);
    if (source.isEmpty()) {
      return remote;
    }
    ExecutorCompletionService<Void> done = new ExecutorCompletionService<>(pool);
    Set<String> supplied = ConcurrentHashMap.newKeySet();
    int batches = 0;
    for (int i = 0; i < remote.size(); i += FillQueue.BATCH) {
      List<String> batch = remote.subList(i, Math.min(remote.size(), i + FillQueue.BATCH));
      tasks.add(
          done.submit(
              () ->
                  step(
                      () ->
                          source
                              .get()
                              .supply(
                                  batch,
                                  (d, data) -> {
                                    places.write(d, data);
                                    supplied.add(d);
                                  }))));
      batches++;
    }
    for (int i = 0; i < batches; i++) {
      done.take().get();
    }
    return remote.stream().filter(d -> !supplied.contains(d)).toList();
  }

  /** One task of an assembly: a fetch, a run of the pack or a copy, and its writes. */
  @FunctionalInterface
  private interface Step {
    void run() throws IOException;
  }

  private static Void step(Step step) throws IOException {
    step.run();
    return null;
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
   * StoreChunkSource#GAP} join (reading a little unwanted data beats another request), and a run
   * ends at {@code max(MIN_RUN, wanted bytes ÷ parallelism)} so that the runs still go in parallel.
   */
  private List<List<PackIndex.Entry>> runs(List<PackIndex.Entry> entries) {
    entries.sort(Comparator.comparingLong(PackIndex.Entry::offset));
    long total = entries.stream().mapToLong(PackIndex.Entry::length).sum();
    long max = Math.max(MIN_RUN, total / parallelism + 1);
    List<List<PackIndex.Entry>> runs = new ArrayList<>();
    List<PackIndex.Entry> run = new ArrayList<>();
    for (PackIndex.Entry e : entries) {
      if (!run.isEmpty()
          && (e.offset() - run.get(run.size() - 1).end() > StoreChunkSource.GAP
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

  @Override
  public void close() {
    pool.shutdownNow();
  }
}
