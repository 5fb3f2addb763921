package dev.thaw.node.agent;

import dev.thaw.core.concurrent.DaemonThreads;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.lazy.FileServer;
import dev.thaw.image.FilesystemFormat;
import dev.thaw.image.RootImage;
import dev.thaw.image.RootImageCache;
import dev.thaw.node.remote.RemoteRootImages;
import dev.thaw.node.remote.RootImageFill;
import dev.thaw.node.snapshot.RootImages;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's root images as its restores and boots use them, a restore's served while it fills: a
 * function from an image that a restore needs and this node lacks runs on a file of the node's
 * {@link FileServer} that fills from remote storage chunk by chunk ({@link RootImageFill}: a read
 * of a chunk not yet there waits for it alone), its first clone's chunks first, the rest once the
 * guest has answered. The file is built as an entry of the node's {@link RootImageCache}, which
 * commits it (an atomic rename) only once every chunk is there and the whole file matches the
 * image's SHA-256; a fill that fails leaves no entry, and its served file gives I/O errors from
 * then on, never a hang. One fill per image at a time: restores of functions sharing an image share
 * it. A boot gets the image whole ({@link ImageFunctions#whole}), waiting for a fill under way.
 *
 * <p>A served file stays published for {@link #SERVED_AFTER} after its fill ends, so that a restore
 * that took its path before sees the same one; its file stays open for the VMs that read it.
 */
public final class LazyRootImages implements RootImages {
  private static final Logger log = LoggerFactory.getLogger(LazyRootImages.class);

  /** How long a served root image stays published once its fill has ended. */
  static final Duration SERVED_AFTER = Duration.ofMinutes(10);

  /**
   * How long after a fill of an image failed a restore takes that image whole instead (today's
   * whole fetch, else the restore fails and the cold start boots): a chunk that was corrupt once
   * likely is again, and storage that stopped may not be back.
   */
  static final Duration WHOLE_AFTER_FAILURE = Duration.ofMinutes(10);

  private static final int PARALLELISM = 4;

  private final ImageFunctions images;
  private final RootImageCache cache;
  private final RemoteRootImages remote;
  private final FileServer files;
  private final Map<String, Serving> byKey = new ConcurrentHashMap<>();
  private final Map<Path, Serving> byPath = new ConcurrentHashMap<>();
  private final Map<String, Long> failedAt = new ConcurrentHashMap<>();
  private final AtomicInteger failures = new AtomicInteger();
  private final ExecutorService fills =
      Executors.newCachedThreadPool(DaemonThreads.numbered("thaw-image-serve"));

  /** One root image served while it fills. */
  private record Serving(String key, String name, Path path, RootImageFill fill)
      implements Filling {
    @Override
    public void readFirst(List<Integer> indexes) {
      fill.readFirst(indexes);
    }

    @Override
    public void fetchRest() {
      fill.fetchRest();
    }

    @Override
    public long fetchedBytes() {
      return fill.fetchedBytes();
    }

    @Override
    public Optional<IOException> failure() {
      return fill.failure();
    }
  }

  LazyRootImages(
      ImageFunctions images, RootImageCache cache, RemoteRootImages remote, FileServer files) {
    this.images = images;
    this.cache = cache;
    this.remote = remote;
    this.files = files;
  }

  @Override
  public FunctionSpec forRestore(FunctionSpec function) {
    if (!function.fromImage() || byPath.containsKey(function.image().rootfs())) {
      return function;
    }
    Path made = function.image().rootfs();
    String digest = function.image().digest();
    String entry = made.getParent() == null ? "" : made.getParent().getFileName().toString();
    for (FilesystemFormat format : FilesystemFormat.values()) {
      String key = RootImageCache.entryName(digest, format);
      if (!entry.equals(key)) {
        continue;
      }
      Serving serving = byKey.get(key);
      if (serving != null) {
        return function.withRootfs(serving.path());
      }
      if (failedRecently(key)) {
        break;
      }
      try {
        Optional<RootImage> local = cache.get(digest, format);
        if (local.isPresent()) {
          return function.withRootfs(local.get().file().toAbsolutePath());
        }
        Optional<RemoteRootImages.Stored> stored = remote.find(digest, format);
        if (stored.isPresent()) {
          Optional<Path> served = serve(key, stored.get());
          if (served.isPresent()) {
            return function.withRootfs(served.get());
          }
        }
      } catch (IOException | RuntimeException e) {
        log.warn("root image of {} not served: {}", function.id(), e.getMessage());
      }
    }
    return images.localize(function);
  }

  @Override
  public FunctionSpec forBoot(FunctionSpec function) {
    return images.whole(function);
  }

  @Override
  public Optional<Filling> filling(FunctionSpec function) {
    return function.fromImage()
        ? Optional.ofNullable(byPath.get(function.image().rootfs()))
        : Optional.empty();
  }

  /**
   * Starts serving {@code stored} as it fills into a new entry of the cache, unless a fill of it is
   * under way already (then its path).
   *
   * @return the served path; empty when the entry was built meanwhile (the cache has it)
   */
  private synchronized Optional<Path> serve(String key, RemoteRootImages.Stored stored)
      throws IOException {
    Serving under = byKey.get(key);
    if (under != null) {
      return Optional.of(under.path());
    }
    CompletableFuture<Serving> started = new CompletableFuture<>();
    fills.execute(() -> fill(key, stored, started));
    try {
      return Optional.ofNullable(started.join()).map(Serving::path);
    } catch (CompletionException e) {
      throw e.getCause() instanceof IOException io
          ? io
          : new IOException("cannot serve " + key + ": " + e.getCause(), e.getCause());
    }
  }

  /**
   * Builds the cache entry of {@code stored} from a fill served as it runs; completes {@code
   * started} with the served file once published (with null when the cache had the entry).
   */
  private void fill(
      String key, RemoteRootImages.Stored stored, CompletableFuture<Serving> started) {
    String name = "rootfs." + key;
    long t0 = System.nanoTime();
    try {
      cache.getOrBuild(
          stored.imageDigest(),
          stored.format(),
          work -> {
            RootImageFill fill = remote.lazyFill(stored, work.resolve("rootfs.img"), PARALLELISM);
            Serving serving;
            try {
              serving = new Serving(key, name, files.publish(name, fill).toAbsolutePath(), fill);
            } catch (RuntimeException e) {
              fill.close();
              throw e;
            }
            byPath.put(serving.path(), serving);
            byKey.put(key, serving);
            started.complete(serving);
            try {
              serving.fill().done().join();
            } catch (CompletionException e) {
              withdraw(serving);
              fill.close();
              throw e.getCause() instanceof IOException io
                  ? io
                  : new IOException(e.getCause().getMessage(), e.getCause());
            }
            return stored.config();
          });
      started.complete(null); // the cache had it: nothing was served
      Serving served = byKey.get(key);
      if (served != null) {
        log.info(
            "root image {} served as it filled: {} bytes fetched, committed after {} ms",
            stored.imageDigest(),
            served.fetchedBytes(),
            (System.nanoTime() - t0) / 1_000_000);
        CompletableFuture.delayedExecutor(SERVED_AFTER.toMillis(), TimeUnit.MILLISECONDS, fills)
            .execute(() -> withdraw(served));
      }
    } catch (IOException | RuntimeException e) {
      log.warn(
          "root image {} not served from storage, no entry made: {}",
          stored.imageDigest(),
          e.getMessage());
      failedAt.put(key, System.nanoTime());
      failures.incrementAndGet();
      started.completeExceptionally(e);
    }
  }

  private boolean failedRecently(String key) {
    Long at = failedAt.get(key);
    return at != null && System.nanoTime() - at < WHOLE_AFTER_FAILURE.toNanos();
  }

  /** Fills that failed (a chunk missing or corrupt, storage down), since this started. */
  public int failures() {
    return failures.get();
  }

  /** Stops serving {@code s} to new opens; the VMs that opened it keep their handles. */
  private void withdraw(Serving s) {
    byKey.remove(s.key(), s);
    byPath.remove(s.path(), s);
    files.withdraw(s.name());
  }
}
