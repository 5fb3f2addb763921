package dev.thaw.node.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.thaw.core.function.FunctionImage;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.io.Digests;
import dev.thaw.core.lazy.FileServer;
import dev.thaw.core.lazy.ServedFile;
import dev.thaw.core.store.InMemoryObjectStore;
import dev.thaw.image.FilesystemFormat;
import dev.thaw.image.ImageConfig;
import dev.thaw.image.ImageSources;
import dev.thaw.image.RootImage;
import dev.thaw.image.RootImageBuilder;
import dev.thaw.image.RootImageCache;
import dev.thaw.node.remote.RemoteSnapshotStore;
import dev.thaw.node.snapshot.RootImages;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node's root images for its restores: one in remote storage and not here is served as it fills,
 * one fill shared by every restore of it, committed to the cache once whole; a failed fill leaves
 * no entry and nothing served, and the node's next restores of the image take it whole.
 */
class LazyRootImagesTest {
  private static final String DIGEST = "sha256:" + "ab".repeat(32);
  private static final ImageConfig CONFIG =
      new ImageConfig(List.of("/f"), List.of(), List.of("PATH=/bin"), "/", "", Set.of(8080));

  @TempDir Path tmp;
  private final InMemoryObjectStore objects = new InMemoryObjectStore();
  private final RemoteSnapshotStore store = RemoteSnapshotStore.builder(objects).build();
  private final Served files = new Served();

  /** A file server that only keeps what is published (nothing here reads through it). */
  private final class Served implements FileServer {
    final Map<String, ServedFile> published = new ConcurrentHashMap<>();

    @Override
    public Path publish(String name, ServedFile file) {
      if (published.putIfAbsent(name, file) != null) {
        throw new IllegalArgumentException("taken: " + name);
      }
      return tmp.resolve("served").resolve(name);
    }

    @Override
    public void withdraw(String name) {
      published.remove(name);
    }

    @Override
    public void close() {}
  }

  @AfterEach
  void close() {
    store.close();
  }

  private String uploadImage() throws IOException {
    byte[] content = new byte[5 * (64 << 10) + 123];
    new Random(3).nextBytes(content);
    Path file = Files.write(tmp.resolve("made.img"), content);
    store
        .rootImages()
        .upload(new RootImage(DIGEST, file, content.length, FilesystemFormat.EROFS, CONFIG));
    return Digests.sha256(file);
  }

  /** The function as a snapshot made on another node names it. */
  private static FunctionSpec madeElsewhere() {
    Path there =
        Path.of("/elsewhere/entries")
            .resolve(RootImageCache.entryName(DIGEST, FilesystemFormat.EROFS))
            .resolve("rootfs.img");
    return FunctionSpec.ofImage(
        "fn",
        256,
        1,
        new FunctionImage(there, DIGEST, List.of("/f"), List.of(), "/", "0", List.of(), 8080));
  }

  private RootImageCache cache;

  private LazyRootImages images() throws IOException {
    cache = RootImageCache.open(tmp.resolve("images"), 1L << 30, Instant::now);
    ImageFunctions functions =
        new ImageFunctions(
            RootImageBuilder.builder(cache).build(),
            ImageSources.Registries.fromEnvironment(Map.of()),
            store.rootImages());
    return functions.lazily(files);
  }

  @Test
  void anImageNotHereIsServedAsItFillsSharedAndCommittedOnceWhole() throws Exception {
    String sha = uploadImage();
    LazyRootImages images = images();
    FunctionSpec made = madeElsewhere();

    FunctionSpec served = images.forRestore(made);
    assertThat(served.image().rootfs()).startsWithRaw(tmp.resolve("served"));
    assertThat(files.published).hasSize(1);
    // A second restore of the image shares the fill; re-localizing a served function keeps it.
    assertThat(images.forRestore(made)).isEqualTo(served);
    assertThat(images.forRestore(served)).isEqualTo(served);
    RootImages.Filling filling = images.filling(served).orElseThrow();
    assertThat(images.filling(made)).isEmpty();
    assertThat(cache.get(DIGEST, FilesystemFormat.EROFS)).as("held back").isEmpty();

    filling.fetchRest();
    await()
        .atMost(Duration.ofMinutes(1))
        .until(() -> cache.get(DIGEST, FilesystemFormat.EROFS).isPresent());
    RootImage entry = cache.get(DIGEST, FilesystemFormat.EROFS).orElseThrow();
    assertThat(Digests.sha256(entry.file())).isEqualTo(sha);
    assertThat(filling.fetchedBytes()).isPositive();
    assertThat(filling.failure()).isEmpty();
    // Published a while longer for restores that took its path; a boot runs on the entry.
    assertThat(images.forRestore(made)).isEqualTo(served);
    assertThat(images.forBoot(made).image().rootfs()).isEqualTo(entry.file().toAbsolutePath());
    assertThat(images.failures()).isZero();
  }

  @Test
  void aFailedFillLeavesNoEntryNothingServedAndTheNextRestoreTakesTheImageWhole() throws Exception {
    String sha = uploadImage();
    objects.intercept(
        (op, key) -> {
          if (op == InMemoryObjectStore.Operation.GET && key.startsWith("_chunks/")) {
            throw new IOException("storage stopped (test)");
          }
        });
    LazyRootImages images = images();
    FunctionSpec made = madeElsewhere();
    FunctionSpec served = images.forRestore(made);
    RootImages.Filling filling = images.filling(served).orElseThrow();
    filling.fetchRest();
    await().atMost(Duration.ofMinutes(1)).until(() -> images.failures() == 1);
    assertThat(filling.failure())
        .get()
        .extracting(Throwable::getMessage)
        .asString()
        .contains("storage stopped");
    assertThat(files.published).isEmpty();
    assertThat(cache.get(DIGEST, FilesystemFormat.EROFS)).isEmpty();
    try (Stream<Path> work = Files.list(tmp.resolve("images").resolve("tmp"))) {
      assertThat(work).isEmpty();
    }

    // Storage back: the next restore takes the image whole instead of serving it again.
    objects.intercept((op, key) -> {});
    FunctionSpec whole = images.forRestore(made);
    assertThat(files.published).isEmpty();
    assertThat(Digests.sha256(whole.image().rootfs())).isEqualTo(sha);
    assertThat(images.failures()).isEqualTo(1);
  }
}
