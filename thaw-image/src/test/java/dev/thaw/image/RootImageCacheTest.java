package dev.thaw.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Entries appear whole or not at all, are built once, and the least recently used go first. */
class RootImageCacheTest {
  private static final ImageConfig CONFIG =
      new ImageConfig(List.of("/app"), List.of(), List.of(), "/", "", Set.of(8080));

  @TempDir Path dir;
  private final AtomicReference<Instant> now =
      new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));

  private static String digest(int n) {
    return "sha256:" + String.format("%064x", n);
  }

  private RootImageCache cache(long capacity) throws IOException {
    return RootImageCache.open(dir, capacity, now::get);
  }

  private static RootImageCache.Build writing(int bytes) {
    return work -> {
      Files.write(work.resolve("rootfs.img"), new byte[bytes]);
      return CONFIG;
    };
  }

  @Test
  void aBuiltEntryIsFoundWithItsConfigAndNotBuiltAgain() throws Exception {
    RootImageCache cache = cache(1 << 20);
    RootImageCache.Lookup first = cache.getOrBuild(digest(1), FilesystemFormat.EROFS, writing(100));
    assertThat(first.built()).isTrue();
    assertThat(first.image().config()).isEqualTo(CONFIG);
    assertThat(first.image().sizeBytes()).isEqualTo(100);
    assertThat(first.image().file()).hasSize(100);
    RootImageCache.Lookup again =
        cache(1 << 20)
            .getOrBuild(
                digest(1),
                FilesystemFormat.EROFS,
                w -> {
                  throw new AssertionError("built twice");
                });
    assertThat(again.built()).isFalse();
    assertThat(again.image()).isEqualTo(first.image());
    assertThat(cache.get(digest(1), FilesystemFormat.EXT4)).as("another format").isEmpty();
  }

  @Test
  void anEntryWrittenBeforeUsersWereResolvedReadsWithoutAResolution() throws Exception {
    RootImageCache cache = cache(1 << 20);
    ImageConfig resolved = CONFIG.withResolvedUser(new ResolvedUser(0, 0, List.of(1, 2), "/root"));
    Path entry =
        cache
            .getOrBuild(
                digest(1),
                FilesystemFormat.EROFS,
                work -> {
                  Files.write(work.resolve("rootfs.img"), new byte[10]);
                  return resolved;
                })
            .image()
            .file()
            .getParent();
    assertThat(cache(1 << 20).get(digest(1), FilesystemFormat.EROFS).orElseThrow().config())
        .isEqualTo(resolved);
    Path json = entry.resolve("image.json");
    String old = Files.readString(json).replaceAll(",\\s*\"resolvedUser\"\\s*:\\s*\\{[^}]*\\}", "");
    assertThat(old).doesNotContain("resolvedUser");
    Files.writeString(json, old);
    assertThat(cache(1 << 20).get(digest(1), FilesystemFormat.EROFS).orElseThrow().config())
        .isEqualTo(CONFIG);
  }

  @Test
  void anEntryWrittenBeforeLabelsWereReadReadsWithNone() throws Exception {
    ImageConfig labelled =
        new ImageConfig(
            List.of("/app"),
            List.of(),
            List.of(),
            "/",
            "",
            Set.of(8080),
            null,
            java.util.Map.of("dev.thaw.hooks.after-restore", "/renew"));
    Path entry =
        cache(1 << 20)
            .getOrBuild(
                digest(1),
                FilesystemFormat.EROFS,
                work -> {
                  Files.write(work.resolve("rootfs.img"), new byte[10]);
                  return labelled;
                })
            .image()
            .file()
            .getParent();
    assertThat(cache(1 << 20).get(digest(1), FilesystemFormat.EROFS).orElseThrow().config())
        .isEqualTo(labelled);
    Path json = entry.resolve("image.json");
    String old = Files.readString(json).replaceAll(",\\s*\"labels\"\\s*:\\s*\\{[^}]*\\}", "");
    assertThat(old).doesNotContain("labels");
    Files.writeString(json, old);
    assertThat(cache(1 << 20).get(digest(1), FilesystemFormat.EROFS).orElseThrow().config())
        .isEqualTo(CONFIG);
  }

  @Test
  void aFailedBuildLeavesNoEntryAndNoScratch() throws Exception {
    RootImageCache cache = cache(1 << 20);
    assertThatThrownBy(
            () ->
                cache.getOrBuild(
                    digest(2),
                    FilesystemFormat.EROFS,
                    w -> {
                      Files.write(w.resolve("rootfs.img"), new byte[10]);
                      throw new IOException("mkfs died");
                    }))
        .hasMessage("mkfs died");
    assertThat(cache.get(digest(2), FilesystemFormat.EROFS)).isEmpty();
    try (Stream<Path> s = Files.list(dir.resolve("tmp"))) {
      assertThat(s).isEmpty();
    }
    try (Stream<Path> s = Files.list(dir.resolve("entries"))) {
      assertThat(s).isEmpty();
    }
  }

  @Test
  void concurrentBuildsOfOneDigestBuildOnceAndTheOthersWaitForIt() throws Exception {
    RootImageCache cache = cache(1 << 20);
    AtomicInteger builds = new AtomicInteger();
    CountDownLatch inBuild = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    RootImageCache.Build slow =
        w -> {
          builds.incrementAndGet();
          inBuild.countDown();
          try {
            release.await(10, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          Files.write(w.resolve("rootfs.img"), new byte[7]);
          return CONFIG;
        };
    ExecutorService pool = Executors.newFixedThreadPool(3);
    try {
      Future<RootImageCache.Lookup> a =
          pool.submit(() -> cache.getOrBuild(digest(3), FilesystemFormat.EROFS, slow));
      assertThat(inBuild.await(10, TimeUnit.SECONDS)).isTrue();
      Future<RootImageCache.Lookup> b =
          pool.submit(() -> cache.getOrBuild(digest(3), FilesystemFormat.EROFS, slow));
      Future<RootImageCache.Lookup> c =
          pool.submit(() -> cache.getOrBuild(digest(3), FilesystemFormat.EROFS, slow));
      assertThat(cache.get(digest(3), FilesystemFormat.EROFS))
          .as("not visible half-built")
          .isEmpty();
      release.countDown();
      List<Boolean> built =
          List.of(
              a.get(10, TimeUnit.SECONDS).built(),
              b.get(10, TimeUnit.SECONDS).built(),
              c.get(10, TimeUnit.SECONDS).built());
      assertThat(built).containsExactlyInAnyOrder(true, false, false);
      assertThat(builds).hasValue(1);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void twoCacheObjectsOnOneDirectoryShareTheEntryLock() throws Exception {
    RootImageCache one = cache(1 << 20);
    RootImageCache two = cache(1 << 20);
    CountDownLatch inBuild = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<RootImageCache.Lookup> a =
          pool.submit(
              () ->
                  one.getOrBuild(
                      digest(4),
                      FilesystemFormat.EROFS,
                      w -> {
                        inBuild.countDown();
                        try {
                          release.await(10, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                          Thread.currentThread().interrupt();
                        }
                        Files.write(w.resolve("rootfs.img"), new byte[5]);
                        return CONFIG;
                      }));
      assertThat(inBuild.await(10, TimeUnit.SECONDS)).isTrue();
      Future<RootImageCache.Lookup> b =
          pool.submit(() -> two.getOrBuild(digest(4), FilesystemFormat.EROFS, writing(9)));
      release.countDown();
      assertThat(a.get(10, TimeUnit.SECONDS).built()).isTrue();
      RootImageCache.Lookup second = b.get(10, TimeUnit.SECONDS);
      assertThat(second.built()).as("waited, then found it").isFalse();
      assertThat(second.image().sizeBytes()).isEqualTo(5);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void pastItsCapacityTheLeastRecentlyUsedEntriesGo() throws Exception {
    RootImageCache cache = cache(250);
    cache.getOrBuild(digest(1), FilesystemFormat.EROFS, writing(100));
    now.set(now.get().plusSeconds(60));
    cache.getOrBuild(digest(2), FilesystemFormat.EROFS, writing(100));
    now.set(now.get().plusSeconds(60));
    assertThat(cache.get(digest(1), FilesystemFormat.EROFS)).isPresent(); // 1 is now newer than 2
    now.set(now.get().plusSeconds(60));
    cache.getOrBuild(digest(3), FilesystemFormat.EROFS, writing(100));

    assertThat(cache.get(digest(2), FilesystemFormat.EROFS)).isEmpty();
    assertThat(cache.get(digest(1), FilesystemFormat.EROFS)).isPresent();
    assertThat(cache.get(digest(3), FilesystemFormat.EROFS)).isPresent();
    assertThat(cache.list()).hasSize(2);
  }

  @Test
  void anEntryLargerThanTheCapacityIsStillKeptWhileItIsTheNewest() throws Exception {
    RootImageCache cache = cache(50);
    cache.getOrBuild(digest(1), FilesystemFormat.EROFS, writing(100));
    assertThat(cache.get(digest(1), FilesystemFormat.EROFS)).isPresent();
  }
}
