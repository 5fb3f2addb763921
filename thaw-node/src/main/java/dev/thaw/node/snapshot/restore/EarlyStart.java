package dev.thaw.node.snapshot.restore;

import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.io.FileTrees;
import dev.thaw.core.snapshot.PackIndex;
import dev.thaw.core.snapshot.SnapshotFile;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotStore;
import dev.thaw.core.vmm.PreparedRestore;
import dev.thaw.core.vmm.Vmm;
import dev.thaw.node.peer.StartBundle;
import dev.thaw.node.peer.StartDecoder;
import dev.thaw.node.snapshot.fill.ChunkAssembler;
import dev.thaw.node.snapshot.fill.FillStart;
import dev.thaw.node.snapshot.fill.LazyFill;
import dev.thaw.node.snapshot.fill.ManifestDigest;
import dev.thaw.node.snapshot.fill.PeerReads;
import dev.thaw.node.snapshot.fill.PeerStart;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * What a remote restore starts before it knows the manifest: the VMM, on an empty memory file of
 * the requested function's size (a snapshot of it has that size), the read of the pack index and of
 * the revision's unusable mark. All run while the manifest is fetched; if the manifest turns out
 * not to fit them they are dropped.
 */
final class EarlyStart implements AutoCloseable {
  private final FunctionSpec function;
  private final CompletableFuture<PreparedRestore> started;
  private final CompletableFuture<Optional<PackIndex>> pack;
  private final CompletableFuture<Optional<Instant>> unusable;
  private final CompletableFuture<Optional<SnapshotStore.FetchedPages>> pages;
  private final CompletableFuture<Optional<StartDecoder.Decoded>> peerStart;
  private final SnapshotStore remote;
  private final Executor executor;
  private final String revision;
  private final Path file;
  private final boolean served;
  private final boolean vouched;
  private boolean handedOver;

  /** A read of remote storage that may fail. */
  @FunctionalInterface
  private interface RemoteRead<T> {
    Optional<T> get() throws IOException;
  }

  EarlyStart(
      Vmm vmm,
      SnapshotStore remote,
      Executor executor,
      FunctionSpec function,
      String revision,
      Path file)
      throws IOException {
    this(
        vmm, remote, executor, function, revision, file, false, PeerReads.none(), Optional.empty());
  }

  /**
   * @param served whether {@code file} is a served file (a lazy restore's, which exists already and
   *     is not this start's to delete) rather than a new plain file to create
   * @param peers asked for the start of a served (lazy) restore before storage
   * @param given the manifest's digest from a trusted party (the gateway), if the restore came with
   *     one: a peer's manifest is checked against it, and storage's record of it is not read
   */
  EarlyStart(
      Vmm vmm,
      SnapshotStore remote,
      Executor executor,
      FunctionSpec function,
      String revision,
      Path file,
      boolean served,
      PeerReads peers,
      Optional<ManifestDigest> given)
      throws IOException {
    this.function = function;
    this.remote = remote;
    this.executor = executor;
    this.revision = revision;
    this.file = file;
    this.served = served;
    if (!served) {
      ChunkAssembler.createSparse(file, function.memoryBytes());
    }
    this.started =
        CompletableFuture.supplyAsync(() -> vmm.prepareRestore(function, file), executor);
    this.pack = readQuietly(() -> remote.packIndex(revision), executor);
    this.unusable = readQuietly(() -> remote.unusable(revision), executor);
    Optional<CompletableFuture<Optional<StartDecoder.Decoded>>> asked =
        served ? peers.askStart(revision, function.memoryBytes()) : Optional.empty();
    if (asked.isPresent()) {
      // A peer holds it: the manifest, the pages and the device state come from the peer in one
      // answer, the manifest checked against the digest the restore was given, else against the
      // one storage keeps of it, read alongside. Storage is asked for the manifest and the pages
      // only if the peer's cannot be used.
      CompletableFuture<Optional<String>> digest =
          given.isPresent()
              ? CompletableFuture.completedFuture(given.map(ManifestDigest::sha256))
              : readQuietly(() -> remote.manifestSha256(revision), executor);
      this.peerStart =
          asked.get().thenCombine(digest, (got, sha) -> PeerStart.trusted(got, sha, revision));
      this.vouched = given.isPresent();
      this.pages =
          peerStart.thenCompose(
              got ->
                  got.isPresent() && got.get().bundle().pages().hasRemaining()
                      ? CompletableFuture.completedFuture(
                          Optional.of(
                              new SnapshotStore.FetchedPages(got.get().bundle().pages(), 0)))
                      : askForPages());
    } else {
      this.peerStart = CompletableFuture.completedFuture(Optional.empty());
      this.vouched = false;
      // A lazy restore needs the working pages first: asked for alongside the manifest, they cost
      // no round trip after it. A snapshot without them answers "none" as quickly.
      this.pages = served ? askForPages() : CompletableFuture.completedFuture(Optional.empty());
    }
  }

  private CompletableFuture<Optional<SnapshotStore.FetchedPages>> askForPages() {
    return LazyFill.askForPages(remote, revision, function.memoryBytes(), executor);
  }

  /**
   * The manifest JSON a peer handed over with the start, its SHA-256 the one storage keeps; empty
   * when no peer was asked or its answer cannot be used (the manifest then comes from storage).
   */
  Optional<String> peerManifest() {
    return peerStart.join().map(d -> new String(d.bundle().manifest(), StandardCharsets.UTF_8));
  }

  /**
   * What the fill starts from: the working pages asked for (with storage to ask again when a peer's
   * fail their check) and the chunks a peer handed over.
   */
  FillStart fillStart() {
    Optional<StartDecoder.Decoded> got = peerStart.join();
    if (got.isEmpty()) {
      return FillStart.of(pages);
    }
    StartBundle bundle = got.get().bundle();
    return new FillStart(
        pages,
        Optional.of(this::askForPages),
        bundle.chunks(),
        bundle.pages().remaining(),
        bundle.pages().hasRemaining() ? Optional.of(got.get().pagesSha256()) : Optional.empty());
  }

  /**
   * The working pages asked for alongside the manifest (a served start's); completes empty when
   * there are none, exceptionally when they could not be had or do not decode.
   */
  CompletableFuture<Optional<SnapshotStore.FetchedPages>> workingPages() {
    return pages;
  }

  /**
   * Reads something optional from remote storage alongside the manifest; unreachable storage reads
   * as absent (the manifest read then says why).
   */
  private static <T> CompletableFuture<Optional<T>> readQuietly(
      RemoteRead<T> read, Executor executor) {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            return read.get();
          } catch (IOException e) {
            return Optional.<T>empty();
          }
        },
        executor);
  }

  /**
   * Whether the restore may resume its guest before storage has told whether the snapshot is marked
   * unusable, and ask then ({@link #unusable()}) before it hands the guest out: the manifest came
   * from a peer, checked against a digest the restore was given, so no other read of storage is on
   * the restore's path. The mark's read runs alongside the restore all the same.
   */
  boolean unusableAfterResume() {
    return vouched && peerStart.join().isPresent();
  }

  /** When the revision's snapshot marked unusable in remote storage was made, if one is. */
  Optional<Instant> unusable() {
    return unusable.join();
  }

  /**
   * Links the early memory file in at {@code target} and hands over its VMM, when the snapshot is a
   * chunked one of the same function; empty otherwise (the caller starts its own).
   *
   * @param made the snapshot's function as this node runs it (a function from an image made on
   *     another node names that node's root image in the manifest)
   */
  Optional<CompletableFuture<PreparedRestore>> adopt(
      SnapshotManifest m, FunctionSpec made, Path target) {
    SnapshotFile memory = m.file(SnapshotFile.Role.MEMORY).orElseThrow();
    if (handedOver
        || !m.chunked()
        || !made.equals(function)
        || memory.size() != function.memoryBytes()) {
      return Optional.empty();
    }
    if (served) {
      handedOver = true;
      return Optional.of(started);
    }
    try {
      // A second name for the same inode: QEMU may not have opened the first one yet, and a
      // missing path it would create afresh, mapping an empty file.
      Files.createLink(target, file);
    } catch (IOException | UnsupportedOperationException e) {
      return Optional.empty();
    }
    handedOver = true;
    return Optional.of(started);
  }

  Optional<PackIndex> packIndex() {
    return pack.join();
  }

  /**
   * The pack index as a fill takes it: still being read when the start came from a peer (storage is
   * asked only later, if at all), else read (as the manifest was, alongside it).
   */
  CompletableFuture<Optional<PackIndex>> packIndexForFill() {
    return peerStart.join().isPresent() ? pack : CompletableFuture.completedFuture(pack.join());
  }

  /** Stops the VMM unless handed over; drops the early name once QEMU has opened the file. */
  @Override
  public void close() {
    if (!handedOver) {
      handedOver = true;
      started.thenAccept(PreparedRestore::close);
    }
    if (!served) {
      started.whenComplete((vm, failure) -> FileTrees.deleteQuietly(file));
    }
  }
}
