package dev.thaw.node.snapshot.fill;

import dev.thaw.core.io.Digests;
import dev.thaw.core.snapshot.PackIndex;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotMismatchException;
import dev.thaw.core.snapshot.SnapshotStore;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The chunks of one revision in the remote store, the source of last resort: it has every chunk.
 * Chunks in the revision's pack come by ranged reads of it, neighbours together; others, and a pack
 * copy that fails its check, come from the chunk's own object. An own object whose content does not
 * match its name is fetched once more (a transfer may have damaged it); if it is still wrong the
 * chunk is corrupt in storage and the fetch fails, naming it.
 */
final class StoreChunkSource implements ChunkSource {
  /** Unwanted pack bytes worth reading to save a request. */
  static final long GAP = 64 << 10;

  private final SnapshotStore store;
  private final String revision;
  private final Map<String, Integer> lengths;
  private final CompletableFuture<Optional<PackIndex>> pack;
  private volatile Map<String, PackIndex.Entry> packed;
  private final TransferTally tally;
  private final StorageCost cost;

  StoreChunkSource(
      SnapshotStore store,
      SnapshotManifest manifest,
      Optional<PackIndex> pack,
      TransferTally tally) {
    this(store, manifest, pack, tally, new StorageCost(PeerReads.FLOOR));
  }

  /**
   * @param cost told what each read of storage cost (a peer's deadline follows it)
   */
  StoreChunkSource(
      SnapshotStore store,
      SnapshotManifest manifest,
      Optional<PackIndex> pack,
      TransferTally tally,
      StorageCost cost) {
    this(store, manifest, CompletableFuture.completedFuture(pack), tally, cost);
  }

  /**
   * Like the constructor above with the pack index still being read: until it has arrived, chunks
   * are ordered as the manifest lists them ({@link #packOffset} is -1); the first read of storage
   * waits for it (a fill whose start came from a peer need not wait for it before its guest
   * resumes).
   */
  StoreChunkSource(
      SnapshotStore store,
      SnapshotManifest manifest,
      CompletableFuture<Optional<PackIndex>> pack,
      TransferTally tally,
      StorageCost cost) {
    this.cost = cost;
    this.store = store;
    this.revision = manifest.revision();
    this.lengths = manifest.chunks();
    this.tally = tally;
    this.pack = pack;
    if (pack.isDone()) {
      packed();
    }
  }

  /** The pack's entries by chunk, once the index has arrived (waits for it). */
  private Map<String, PackIndex.Entry> packed() {
    Map<String, PackIndex.Entry> m = packed;
    if (m == null) {
      Map<String, PackIndex.Entry> built = new HashMap<>();
      pack.join().ifPresent(p -> p.entries().forEach(e -> built.put(e.sha256(), e)));
      packed = m = built;
    }
    return m;
  }

  /** Where chunk {@code sha256} lies in the pack; -1 when it is not in it, or not known yet. */
  long packOffset(String sha256) {
    Map<String, PackIndex.Entry> m = pack.isDone() ? packed() : Map.of();
    PackIndex.Entry e = m.get(sha256);
    return e == null ? -1L : e.offset();
  }

  /** The pack entry of {@code sha256}, if the pack has it. */
  Optional<PackIndex.Entry> packEntry(String sha256) {
    return Optional.ofNullable(packed().get(sha256));
  }

  /**
   * Fetches every chunk of {@code wanted} in pack order: chunks not in the pack one by one, then
   * runs of pack entries closer than {@link #GAP} to each other with one ranged read each.
   */
  @Override
  public List<String> supply(List<String> wanted, Sink sink) throws IOException {
    Map<String, PackIndex.Entry> index = packed(); // before the order is taken from it
    List<String> inPackOrder = new ArrayList<>(wanted);
    inPackOrder.sort(Comparator.comparingLong(this::packOffset));
    List<PackIndex.Entry> run = new ArrayList<>();
    for (String d : inPackOrder) {
      PackIndex.Entry e = index.get(d);
      if (e == null) {
        fetchRun(run, sink);
        run.clear();
        sink.put(d, fetch(d));
        continue;
      }
      if (!run.isEmpty() && e.offset() - run.get(run.size() - 1).end() > GAP) {
        fetchRun(run, sink);
        run.clear();
      }
      run.add(e);
    }
    fetchRun(run, sink);
    return List.of();
  }

  /** Fetches a run of pack entries with one ranged read. */
  void fetchRun(List<PackIndex.Entry> run, Sink sink) throws IOException {
    if (run.isEmpty()) {
      return;
    }
    List<Integer> runLengths = run.stream().map(e -> lengths.get(e.sha256())).toList();
    long t0 = System.nanoTime();
    List<SnapshotStore.FetchedChunk> got = store.packChunks(revision, List.copyOf(run), runLengths);
    cost.measured(runLengths.stream().mapToLong(Integer::longValue).sum(), System.nanoTime() - t0);
    for (int i = 0; i < run.size(); i++) {
      String d = run.get(i).sha256();
      tally.received(got.get(i).storedBytes());
      byte[] data = got.get(i).data();
      if (!got.get(i).verified() && !Digests.sha256(data, 0, data.length).equals(d)) {
        // The pack's copy is bad: the chunk's own object is the second try.
        data = refetch(d, runLengths.get(i));
      }
      tally.fetched();
      sink.put(d, data);
    }
  }

  /**
   * A chunk's own object, checked against its name and fetched a second time if the first copy was
   * bad.
   *
   * @throws SnapshotMismatchException when the second copy is bad too
   */
  byte[] fetch(String sha256) throws IOException {
    int length = lengths.get(sha256);
    byte[] data = fetchObject(sha256, length);
    data = data != null ? data : refetch(sha256, length);
    tally.fetched();
    return data;
  }

  /** A chunk's own object, or null when it does not decode or match its name. */
  private byte[] fetchObject(String sha256, int length) throws IOException {
    try {
      long t0 = System.nanoTime();
      SnapshotStore.FetchedChunk chunk = store.chunk(sha256, length);
      cost.measured(length, System.nanoTime() - t0);
      tally.received(chunk.storedBytes());
      byte[] data = chunk.data();
      return Digests.sha256(data, 0, data.length).equals(sha256) ? data : null;
    } catch (SnapshotMismatchException e) {
      return null;
    }
  }

  /** The second and last try at a chunk whose first copy was bad. */
  private byte[] refetch(String sha256, int length) throws IOException {
    tally.refetched();
    byte[] data = fetchObject(sha256, length);
    if (data == null) {
      throw new SnapshotMismatchException(
          "chunk " + sha256 + " is corrupt in remote storage (fetched twice)", null);
    }
    return data;
  }

  /** Holds nothing open: each fetch is a request of its own. */
  @Override
  public void close() {}
}
