package dev.thaw.node.snapshot.restore;

import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.lazy.FileServer;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.vmm.PreparedRestore;
import dev.thaw.node.snapshot.ClosingVm;
import dev.thaw.node.snapshot.ColdStart;
import dev.thaw.node.snapshot.Restorer;
import dev.thaw.node.snapshot.RootImages;
import dev.thaw.node.snapshot.cache.LocalChunks;
import dev.thaw.node.snapshot.fill.LazyFill;
import dev.thaw.node.snapshot.fill.ManifestDigest;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A remote restore whose guest resumes before its snapshot is here: the VMM starts on a served
 * memory file before the manifest is read; the device state and the working set the snapshot's
 * first clone recorded are fetched first, the guest resumes on them, and the rest of the chunks
 * follow in the background (a page the guest touches before its chunk arrived waits for that chunk
 * alone). The files become a cache entry once complete, or fill scratch space that is deleted once
 * the fill has ended and the VM has stopped. A snapshot that cannot be served so (a format-1 one,
 * say) is restored by the {@link EagerRestore}.
 */
final class LazyRestore {
  private static final Logger log = LoggerFactory.getLogger(LazyRestore.class);

  /**
   * Longest a lazy restore holds the rest of its snapshot back for the first invocation to answer
   * ({@link ColdStart#firstAnswered()}).
   */
  static final Duration REST_AFTER = Duration.ofSeconds(2);

  private final RemoteRestore.Parts parts;
  private final EagerRestore eager;
  private final FileServer server;
  private final int parallelism;
  private final AtomicLong servedNames = new AtomicLong();
  private final Set<CompletableFuture<?>> fills = ConcurrentHashMap.newKeySet();

  LazyRestore(RemoteRestore.Parts parts, EagerRestore eager, FileServer server, int parallelism) {
    this.parts = parts;
    this.eager = eager;
    this.server = server;
    this.parallelism = parallelism;
  }

  /**
   * Restores into a new cache entry; {@code settled} runs once the entry is committed or known not
   * to be.
   */
  Optional<ColdStart> cached(
      FunctionSpec function,
      String revision,
      SharedDownloads.Settlement settled,
      Optional<ManifestDigest> digest)
      throws IOException {
    return restore(function, revision, Optional.of(settled), digest);
  }

  /** Restores into scratch space ("remote, no cache"). */
  Optional<ColdStart> uncached(
      FunctionSpec function, String revision, Optional<ManifestDigest> digest) throws IOException {
    return restore(function, revision, Optional.empty(), digest);
  }

  /**
   * @param settled present for a restore into the cache: releases the cold starts waiting for it
   * @param digest the manifest's digest from a trusted party, if given ({@link EarlyStart})
   */
  private Optional<ColdStart> restore(
      FunctionSpec function,
      String revision,
      Optional<SharedDownloads.Settlement> settled,
      Optional<ManifestDigest> digest)
      throws IOException {
    long t0 = System.nanoTime();
    // A function from an image whose root image this node lacks runs on it as it fills.
    function = parts.restorer().local(function);
    Optional<RootImages.Filling> image = parts.restorer().rootImages().filling(function);
    String name = revision + "." + servedNames.incrementAndGet() + ".memory";
    DeferredFile memory = new DeferredFile(function.memoryBytes());
    Path path = server.publish(name, memory);
    boolean resumed = false;
    try (EarlyStart early =
        parts.source().servedEarlyStart(function, revision, path, parts.peers(), digest)) {
      Optional<SnapshotManifest> found = parts.source().usable(revision, early);
      if (found.isEmpty()) {
        return Optional.empty();
      }
      SnapshotManifest manifest = found.get();
      // The root-image chunks its first clone read come before the rest of the image.
      image.ifPresent(i -> i.readFirst(manifest.rootImageReads()));
      Optional<CompletableFuture<PreparedRestore>> prepared =
          early.adopt(manifest, parts.restorer().local(manifest.function()), path);
      if (prepared.isEmpty()) {
        memory.abort();
        image.ifPresent(RootImages.Filling::fetchRest); // the eager restore's guest reads it whole
        // A format-1 snapshot, say.
        return settled.isPresent()
            ? eager.cached(function, revision, settled.get())
            : eager.uncached(revision);
      }
      LocalChunks local = parts.targets().localChunks(manifest);
      Optional<FetchTarget> target;
      try {
        target =
            settled.isPresent()
                ? parts.targets().entry(revision, manifest.totalBytes())
                : Optional.of(parts.targets().scratch(revision));
      } catch (IOException | RuntimeException e) {
        local.close();
        throw e;
      }
      if (target.isEmpty()) {
        local.close();
        memory.abort();
        prepared.get().thenAccept(PreparedRestore::close);
        settled.get().run();
        image.ifPresent(RootImages.Filling::fetchRest);
        return eager.uncached(revision);
      }
      LazyFetch fetch = LazyFetch.open(manifest, local, target.get(), early, parts, parallelism);
      BooleanSupplier markedUnusable =
          early.unusableAfterResume()
              ? () -> parts.source().markedUnusable(manifest, early)
              : () -> false;
      try {
        Optional<ColdStart> started =
            resume(fetch, memory, prepared.get(), name, t0, settled, image, markedUnusable);
        if (started.isEmpty()) {
          fetch.close();
          return started;
        }
        resumed = true;
        return started;
      } catch (IOException | RuntimeException e) {
        fetch.close();
        throw e;
      }
    } finally {
      server.withdraw(name);
      memory.abort(); // no effect once the fill is attached
      if (!resumed) {
        // No guest of this restore will answer to let the root image's rest follow, and a boot
        // falling back waits for the whole image (the fill holds it): let it follow now.
        image.ifPresent(RootImages.Filling::fetchRest);
      }
    }
  }

  /**
   * Resumes the guest once the device state and the working set are here, then hands {@code fetch}
   * over to the background: its last step, so that a failure before leaves it to the caller.
   *
   * @param markedUnusable asked once the guest runs: whether storage marked the snapshot unusable
   *     meanwhile (then the guest is stopped and the restore is empty)
   */
  private Optional<ColdStart> resume(
      LazyFetch fetch,
      DeferredFile memory,
      CompletableFuture<PreparedRestore> prepared,
      String name,
      long t0,
      Optional<SharedDownloads.Settlement> settled,
      Optional<RootImages.Filling> image,
      BooleanSupplier markedUnusable)
      throws IOException {
    LazyFill fill = fetch.fill();
    String revision = fetch.manifest().revision();
    memory.attach(fill.memory());
    // The working set goes into the page cache while QEMU starts and loads the device state.
    CompletableFuture<Void> preloaded =
        fill.priority()
            .thenRunAsync(() -> preload(name, revision, fill), parts.source().executor());
    PreparedRestore vm = awaitPriority(fill, prepared, fetch.manifest());
    Optional<IOException> imageFailed = image.flatMap(RootImages.Filling::failure);
    if (imageFailed.isPresent()) {
      vm.close();
      throw new IOException(
          "root image of " + revision + " failed: " + imageFailed.get().getMessage(),
          imageFailed.get());
    }
    Duration took = Restorer.since(t0);
    ColdStart.Remote start = parts.restorer().fetched(fetch.snapshot(), vm, took);
    preloaded.join(); // long done: it ran while QEMU started; the name is withdrawn next
    if (markedUnusable.getAsBoolean()) {
      start.vm().close();
      return Optional.empty();
    }
    parts.metrics().lazyRestored();
    parts.source().markUsed(revision);
    log.debug(
        "lazy restore of {}: {} chunks and {} bytes of pages first; answered after {} fetched,"
            + " {} reads waited",
        revision,
        fill.priorityChunks(),
        fill.pagesFetchedBytes(),
        fill.transfer(),
        fill.waits());
    // The rest follows once the first invocation has answered, or after REST_AFTER at most.
    FirstAnswer answered = new FirstAnswer(revision, fill, image, parts.metrics());
    CompletableFuture.delayedExecutor(
            REST_AFTER.toMillis(), TimeUnit.MILLISECONDS, parts.source().executor())
        .execute(answered::fetchRest);
    ColdStart.Remote started =
        new ColdStart.Remote(
            new ClosingVm(start.vm(), fetch.whenVmStopped()),
            start.fetch(),
            start.startup(),
            answered::answered);
    CompletableFuture<?> finished =
        fetch.finishInBackground(
            parts.metrics(),
            settled.map(SharedDownloads.Settlement::deferred).orElse(() -> {}),
            parts.source().executor());
    fills.add(finished);
    finished.whenComplete((x, e) -> fills.remove(finished));
    return Optional.of(started);
  }

  /**
   * Puts the working set of the memory file into the kernel's page cache while QEMU starts ({@link
   * LazyFill#preload}), where the guest's faults would make one round trip through the server per
   * page (about 1000 for hello, most of the time its lazy restore took). A failure costs only that
   * time.
   */
  private void preload(String name, String revision, LazyFill fill) {
    try {
      fill.preload(server, name);
    } catch (IOException | RuntimeException e) {
      log.warn("cannot preload {}: {}", revision, e.getMessage());
    }
  }

  /** Waits for the device state and the working set; the VMM is stopped if they fail. */
  private static PreparedRestore awaitPriority(
      LazyFill fill, CompletableFuture<PreparedRestore> prepared, SnapshotManifest manifest)
      throws IOException {
    try {
      fill.priority().join();
      return prepared.join();
    } catch (CompletionException e) {
      prepared.thenAccept(PreparedRestore::close);
      Throwable cause = fill.done().isCompletedExceptionally() ? failure(fill) : e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      throw new IOException("cannot restore " + manifest.revision() + ": " + cause, cause);
    }
  }

  private static Throwable failure(LazyFill fill) {
    try {
      fill.done().join();
      return null;
    } catch (CompletionException e) {
      return e.getCause();
    }
  }

  /** Waits until every lazy restore's background fetch has finished (for benchmarks and tests). */
  void awaitFills() {
    for (CompletableFuture<?> f : List.copyOf(fills)) {
      f.join();
    }
  }
}
