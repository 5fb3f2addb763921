package dev.thaw.node.snapshot.fill;

import dev.thaw.core.lazy.FileServer;
import dev.thaw.core.lazy.ServedFile;
import dev.thaw.core.snapshot.PackIndex;
import dev.thaw.core.snapshot.SnapshotFile;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotStore;
import dev.thaw.node.snapshot.cache.LocalChunks;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * Fills the files of a chunked snapshot in the background while its memory file is already being
 * read ({@link #memory()}, served to the VMM through a {@link FileServer}). First come the device
 * state and the working set: the pages the snapshot's first clone read, as one object ({@link
 * WorkingPagesLoader}), or, for a snapshot without one (or whose object cannot be had), the whole
 * chunks it read. {@link #priority()} completes when they are written. Then, once {@link
 * #fetchRest()} is called (the guest has answered), the rest, the first clone's chunks first
 * ({@link FillOrder}); a read of a chunk not yet written moves it to the front and waits for it
 * ({@link FillQueue}, {@link FetchWorkers}; a page of the working set never waits once the working
 * set is written). Each chunk is copied from a local cache entry that holds it ({@link
 * LocalChunkSource}) or fetched and checked against its SHA-256 ({@link StoreChunkSource}); zero
 * chunks are holes of the sparse files and never wait.
 *
 * <p>A chunk that cannot be had fails the whole fill: waiting and later reads get an {@link
 * IOException} (the reading VMM an I/O error), never a hang, and {@link #done()} fails so that the
 * files never become a cache entry.
 *
 * <p>This class wires those parts together and answers for the whole fill.
 */
public final class LazyFill implements AutoCloseable {
  /** How long a read waits for its chunk before it fails. */
  public static final Duration READ_WAIT = FetchWorkers.READ_WAIT;

  private final ChunkPlaces places;
  private final LocalChunkSource copies;
  private final HandedChunks handed;
  private final TransferTally tally = new TransferTally();
  private final FillQueue queue;
  private final FetchWorkers workers;
  private final Optional<WorkingPagesLoader> pages;
  private final WorkingSetPreload preload;
  private final ServedFile memory;
  private final CompletableFuture<Void> priority;
  private final CompletableFuture<ChunkAssembler.Transfer> done = new CompletableFuture<>();

  /**
   * Starts filling the files {@link ChunkAssembler#allocate} created in {@code dir}.
   *
   * @param pagesFetch the working pages, asked for alongside the manifest ({@link #askForPages});
   *     unused when the manifest names none
   * @param parallelism chunks fetched at once
   * @param onWait told how long each read that had to wait for its chunk waited
   */
  public LazyFill(
      SnapshotManifest manifest,
      Path dir,
      LocalChunks local,
      SnapshotStore store,
      Optional<PackIndex> pack,
      CompletableFuture<Optional<SnapshotStore.FetchedPages>> pagesFetch,
      int parallelism,
      Consumer<Duration> onWait)
      throws IOException {
    this(
        manifest,
        dir,
        local,
        store,
        CompletableFuture.completedFuture(pack),
        FillStart.of(pagesFetch),
        parallelism,
        onWait,
        PeerReads.none());
  }

  /**
   * Like the constructor above, with the working pages and the chunks handed over as {@code start}
   * says: a peer's start of the restore, say, whose chunks are asked before any other source but
   * the local cache, and whose pages, if they fail their check, are asked of storage again; with
   * the pack index {@code pack} still being read, if it is (storage's first read waits); and with
   * chunks read from the peers {@code peers} finds holding the revision before storage (when one
   * does and {@code peers} says so, the working set comes as its chunks from the peers rather than
   * as the working pages).
   */
  public LazyFill(
      SnapshotManifest manifest,
      Path dir,
      LocalChunks local,
      SnapshotStore store,
      CompletableFuture<Optional<PackIndex>> pack,
      FillStart start,
      int parallelism,
      Consumer<Duration> onWait,
      PeerReads peers)
      throws IOException {
    this.places = new ChunkPlaces(manifest, dir);
    this.copies = new LocalChunkSource(local, tally);
    this.handed = new HandedChunks(start.handed(), manifest.chunks(), tally);
    tally.pagesFromPeer(start.handedBytes());
    StoreChunkSource remote = new StoreChunkSource(store, manifest, pack, tally, peers.cost());
    Optional<PeerChunkSource> fromPeers = peers.source(manifest, tally);
    boolean pagesWanted = fromPeers.isEmpty() || !peers.workingSetFromPeers();
    FillOrder order = FillOrder.of(manifest, remote::packOffset);
    Optional<SnapshotFile> memoryFile = manifest.file(SnapshotFile.Role.MEMORY);
    this.pages =
        memoryFile
            .filter(f -> pagesWanted && f.chunks().pages() != null)
            .map(
                f ->
                    new WorkingPagesLoader(
                        manifest.revision(),
                        f.chunks().pages(),
                        places.channel(f.name()),
                        f.size(),
                        tally));
    this.preload = new WorkingSetPreload(manifest, pages);
    int withFirstClone = order.beforeStart().size() + order.firstClone().size();
    this.queue =
        new FillQueue(
            order.all(),
            pages.isPresent() ? order.beforeStart().size() : withFirstClone,
            remote::packOffset);
    this.workers =
        new FetchWorkers(
            manifest.revision(), queue, sources(fromPeers, remote), places, parallelism, onWait);
    FillingFile.WrittenAhead ahead =
        pages.<FillingFile.WrittenAhead>map(p -> p::covers).orElse(FillingFile.WrittenAhead.NONE);
    this.memory =
        memoryFile
            .map(f -> new FillingFile(f, places.channel(f.name()), ahead, workers))
            .orElse(null);
    CompletableFuture<Void> beforeStart = workers.written(order.beforeStart());
    CompletableFuture<Void> firstClone = workers.written(order.firstClone());
    if (pages.isPresent()) {
      CompletableFuture<Void> pagesReady = new CompletableFuture<>();
      this.priority = CompletableFuture.allOf(beforeStart, pagesReady);
      workers.beside(() -> loadPages(pages.get(), start, withFirstClone, firstClone, pagesReady));
    } else {
      this.priority = CompletableFuture.allOf(beforeStart, firstClone);
    }
    workers.start();
    workers
        .written(places.chunks())
        .whenComplete(
            (ok, e) -> {
              fetchRest(); // workers waiting for the go-ahead have nothing left to wait for
              workers.shutdown();
              if (e != null) {
                done.completeExceptionally(workers.failure().map(Throwable.class::cast).orElse(e));
              } else {
                done.complete(transfer());
              }
            });
  }

  /**
   * The local cache, then the chunks a peer handed over, then the peers (if any hold the revision),
   * then storage.
   */
  private List<ChunkSource> sources(Optional<PeerChunkSource> peers, StoreChunkSource remote) {
    List<ChunkSource> sources = new ArrayList<>(List.of(copies, handed));
    peers.ifPresent(sources::add);
    sources.add(remote);
    return sources;
  }

  /**
   * Asks {@code store} for the working pages of {@code revision} on {@code executor}, before its
   * manifest is known (so no request waits for the manifest's); at most {@code maxLength} bytes,
   * the memory file's size. The fill checks their length and digest against the manifest.
   */
  public static CompletableFuture<Optional<SnapshotStore.FetchedPages>> askForPages(
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

  /**
   * Loads the working pages (asked again where {@code start} says, if the first ones cannot be
   * used); when they cannot be used, the chunks they lie in take their place: the workers fetch the
   * first clone's chunks ({@code withFirstClone} chunks of the order) before the guest resumes, as
   * for a snapshot without working pages.
   */
  private void loadPages(
      WorkingPagesLoader loader,
      FillStart start,
      int withFirstClone,
      CompletableFuture<Void> firstClone,
      CompletableFuture<Void> pagesReady) {
    if (loader.load(start.pages(), start.pagesSha256())
        || start
            .pagesAgain()
            .map(again -> loader.load(again.get(), Optional.empty()))
            .orElse(false)) {
      pagesReady.complete(null);
      return;
    }
    queue.widenPriority(withFirstClone);
    firstClone.whenComplete(
        (ok, failed) -> {
          if (failed != null) {
            pagesReady.completeExceptionally(failed);
          } else {
            pagesReady.complete(null);
          }
        });
  }

  /** The memory file as it fills: reads of chunks not yet written wait for them. */
  public ServedFile memory() {
    return memory;
  }

  /**
   * Lets the workers go on past the priority set. Until then they fetch only the priority set and
   * the chunks reads wait for: the rest would take the network and the CPU (two cores here) from
   * the guest while it resumes and answers its first request, the time a cold start is measured by.
   */
  public void fetchRest() {
    pages.ifPresent(WorkingPagesLoader::take); // preloaded long before, or never to be
    queue.letRest();
  }

  /** Completes when the device state and the first clone's working set are written. */
  public CompletableFuture<Void> priority() {
    return priority;
  }

  /** Completes with what moved once every chunk is written; fails with the first failure. */
  public CompletableFuture<ChunkAssembler.Transfer> done() {
    return done;
  }

  /** Distinct chunks fetched before the guest resumes: device state and working set. */
  public int priorityChunks() {
    return queue.priorityChunks();
  }

  /**
   * The byte ranges of the memory file the guest is expected to read first, all there once {@link
   * #priority()} completed: the working pages when they arrived, else the first clone's chunks.
   */
  List<long[]> workingSetRanges() {
    return preload.ranges();
  }

  /**
   * Puts the working set into the page cache of the served memory file {@code name} once {@link
   * #priority()} completed, while the VMM starts ({@link WorkingSetPreload}).
   */
  public void preload(FileServer server, String name) throws IOException {
    preload.preload(server, name);
  }

  /** Bytes received for the working pages. */
  public long pagesFetchedBytes() {
    return pages.map(WorkingPagesLoader::fetchedBytes).orElse(0L);
  }

  /** Reads that had to wait for their chunk. */
  public int waits() {
    return workers.waits();
  }

  /** What moved so far. */
  public ChunkAssembler.Transfer transfer() {
    return tally.transfer(places.zeroBytes());
  }

  private void closeFiles() {
    places.close();
    copies.close();
    handed.close();
  }

  /** Stops the workers, fails reads still waiting and closes the files (a restore that failed). */
  @Override
  public void close() {
    pages.ifPresent(WorkingPagesLoader::take);
    workers.stop();
    closeFiles();
  }

  /**
   * Called when the VMM reading the memory file has stopped: the fill still completes (and becomes
   * a cache entry); the files are closed once it has.
   */
  public void release() {
    done.whenComplete((t, e) -> closeFiles());
  }
}
