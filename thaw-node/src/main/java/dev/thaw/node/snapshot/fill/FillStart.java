package dev.thaw.node.snapshot.fill;

import dev.thaw.core.snapshot.SnapshotStore;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * What a lazy fill starts from besides its manifest: the working pages asked for before the
 * manifest was known (of storage, or of a peer with the start of the restore), where to ask for
 * them again when those fail their check (storage, after a peer's), and the chunks a peer handed
 * over with them (unchecked: {@link HandedChunks} checks each).
 *
 * @param pages the working pages as asked for
 * @param pagesAgain where to ask when {@code pages} cannot be used; empty: their chunks instead
 * @param handed chunks by SHA-256 from a peer's start
 * @param handedBytes bytes of pages a peer handed over, counted as the peer's
 * @param pagesSha256 the SHA-256 of {@code pages} as computed here while they arrived (a peer's),
 *     so that their check needs no second pass; empty: they are hashed when checked
 */
public record FillStart(
    CompletableFuture<Optional<SnapshotStore.FetchedPages>> pages,
    Optional<Supplier<CompletableFuture<Optional<SnapshotStore.FetchedPages>>>> pagesAgain,
    Map<String, byte[]> handed,
    long handedBytes,
    Optional<String> pagesSha256) {
  public FillStart {
    Objects.requireNonNull(pages, "pages");
    Objects.requireNonNull(pagesAgain, "pagesAgain");
    Objects.requireNonNull(handed, "handed");
    Objects.requireNonNull(pagesSha256, "pagesSha256");
  }

  /** Like the canonical constructor, the pages to be hashed when checked. */
  public FillStart(
      CompletableFuture<Optional<SnapshotStore.FetchedPages>> pages,
      Optional<Supplier<CompletableFuture<Optional<SnapshotStore.FetchedPages>>>> pagesAgain,
      Map<String, byte[]> handed,
      long handedBytes) {
    this(pages, pagesAgain, handed, handedBytes, Optional.empty());
  }

  /** Pages asked of storage, nothing else. */
  public static FillStart of(CompletableFuture<Optional<SnapshotStore.FetchedPages>> pages) {
    return new FillStart(pages, Optional.empty(), Map.of(), 0);
  }
}
