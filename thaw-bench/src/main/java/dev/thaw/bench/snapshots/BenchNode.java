package dev.thaw.bench.snapshots;

import dev.thaw.core.lazy.FileServer;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotMode;
import dev.thaw.core.vmm.Vmm;
import dev.thaw.image.ImageSources;
import dev.thaw.image.RootImageBuilder;
import dev.thaw.image.RootImageCache;
import dev.thaw.node.agent.ImageFunctions;
import dev.thaw.node.agent.LazyRootImages;
import dev.thaw.node.remote.RemoteSnapshotStore;
import dev.thaw.node.snapshot.SnapshotManager;
import dev.thaw.node.snapshot.SnapshotNode;
import io.micrometer.core.instrument.DistributionSummary;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Function;

/**
 * A node of {@code thaw bench snapshots}, wired as {@code thaw agent} wires one: its own image
 * cache and image functions over remote storage, and in remote mode a file server (where one can be
 * mounted) that serves lazy restores' memory and the root images it lacks as they fill.
 */
final class BenchNode implements AutoCloseable {
  private static final String ANSWER_BYTES = "thaw.snapshot.lazy.answer.bytes";

  private final Path dir;
  private final Optional<FileServer> files;
  private final RootImageCache images;
  private final Optional<LazyRootImages> lazy;
  private final SnapshotNode node;

  private BenchNode(
      Path dir,
      Optional<FileServer> files,
      RootImageCache images,
      Optional<LazyRootImages> lazy,
      SnapshotNode node) {
    this.dir = dir;
    this.files = files;
    this.images = images;
    this.lazy = lazy;
    this.node = node;
  }

  /** What every node of a run shares. */
  record Wiring(
      Vmm vmm,
      SnapshotManifest.Guest guest,
      RemoteSnapshotStore remote,
      ImageSources.Registries registries,
      Function<Path, Optional<FileServer>> mount) {}

  /**
   * A node in {@code dir} in {@code mode}, caching what it fetches from remote storage or not, with
   * its image cache in {@code imagesDir}.
   */
  static BenchNode open(Wiring w, Path dir, Path imagesDir, SnapshotMode mode, boolean cacheRemote)
      throws IOException {
    RootImageCache images = RootImageCache.open(imagesDir, 4L << 30, Instant::now);
    ImageFunctions functions =
        new ImageFunctions(
            RootImageBuilder.builder(images).build(), w.registries(), w.remote().rootImages());
    Optional<FileServer> files =
        mode == SnapshotMode.REMOTE ? w.mount().apply(dir.resolve("served")) : Optional.empty();
    try {
      Optional<LazyRootImages> lazy = files.map(functions::lazily);
      SnapshotNode node =
          SnapshotNode.builder(w.vmm(), w.guest(), dir)
              .manager(
                  b -> {
                    b.mode(mode)
                        .localFunction(functions::localize)
                        .remote(w.remote())
                        .cacheRemote(cacheRemote);
                    files.ifPresent(b::files);
                    lazy.ifPresent(b::rootImages);
                    return b;
                  })
              .build();
      return new BenchNode(dir, files, images, lazy, node);
    } catch (IOException | RuntimeException e) {
      files.ifPresent(FileServer::close);
      throw e;
    }
  }

  /** The node's own directory. */
  Path dir() {
    return dir;
  }

  SnapshotManager manager() {
    return node.manager();
  }

  /** Bytes received from storage before the first answers of this node's lazy restores so far. */
  AnswerBytes answerBytes() {
    return new AnswerBytes(
        manager().lazyRestores(), answered("memory"), manager().rootImageBytesBeforeAnswers());
  }

  private long answered(String file) {
    DistributionSummary s = node.meters().find(ANSWER_BYTES).tag("file", file).summary();
    return s == null ? 0 : (long) s.totalAmount();
  }

  /**
   * Waits until the background work of this node's restores is over: its snapshot fetches, and the
   * root image it lacked in its cache whole (or its fill failed), at most {@code limit}.
   */
  void settle(boolean image, Duration limit) throws IOException, InterruptedException {
    manager().awaitBackgroundFetches();
    long end = System.nanoTime() + limit.toNanos();
    while (image
        && images.list().isEmpty()
        && lazy.map(l -> l.failures() == 0).orElse(false)
        && System.nanoTime() < end) {
      Thread.sleep(50);
    }
  }

  @Override
  public void close() throws IOException {
    try {
      node.close();
    } finally {
      files.ifPresent(FileServer::close);
    }
  }

  /**
   * Bytes received from remote storage before the first answers of lazy restores, in all.
   *
   * @param restores the lazy restores counted
   * @param memory bytes of their snapshots (memory and device state)
   * @param rootImage bytes of root images they lacked
   */
  record AnswerBytes(long restores, long memory, long rootImage) {}
}
