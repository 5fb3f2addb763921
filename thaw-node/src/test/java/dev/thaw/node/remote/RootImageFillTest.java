package dev.thaw.node.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.thaw.core.io.Digests;
import dev.thaw.core.store.InMemoryObjectStore;
import dev.thaw.image.FilesystemFormat;
import dev.thaw.image.ImageConfig;
import dev.thaw.image.RootImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A root image served while it fills: reads wait for their chunks only, the chunks read first come
 * before the rest, nothing more moves until the rest is let go, the whole file is checked, and a
 * corrupt chunk or storage stopping fails reads and the fill instead of hanging.
 */
class RootImageFillTest {
  private static final String A = "sha256:" + "aa".repeat(32);
  private static final int CHUNK = RemoteRootImages.CHUNK_SIZE;
  private static final ImageConfig CONFIG =
      new ImageConfig(List.of("/f"), List.of(), List.of("PATH=/bin"), "/", "", Set.of(8080));

  @TempDir Path tmp;
  private final InMemoryObjectStore objects = new InMemoryObjectStore();
  private final RemoteSnapshotStore store = RemoteSnapshotStore.builder(objects).build();
  private final RemoteRootImages images = store.rootImages();
  private final List<String> gets = Collections.synchronizedList(new ArrayList<>());
  private byte[] content;

  @AfterEach
  void close() {
    store.close();
  }

  /** Eight chunks: random ones, the third zero, and a short tail. */
  private RemoteRootImages.Stored stored() throws Exception {
    content = new byte[8 * CHUNK + 1000];
    Random r = new Random(7);
    for (int i = 0; i < 8; i++) {
      if (i != 2) {
        byte[] c = new byte[CHUNK];
        r.nextBytes(c);
        System.arraycopy(c, 0, content, i * CHUNK, CHUNK);
      }
    }
    Arrays.fill(content, 8 * CHUNK, content.length, (byte) 9);
    Path file = Files.write(tmp.resolve("a.img"), content);
    images.upload(new RootImage(A, file, content.length, FilesystemFormat.EROFS, CONFIG));
    objects.intercept(
        (op, key) -> {
          if (op == InMemoryObjectStore.Operation.GET && key.startsWith(RemoteKeys.CHUNKS)) {
            gets.add(key.substring(key.lastIndexOf('/') + 1));
          }
        });
    return images.find(A, FilesystemFormat.EROFS).orElseThrow();
  }

  private static byte[] read(RootImageFill fill, long offset, int length) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(length);
    fill.read(offset, b);
    return b.array();
  }

  @Test
  void readsWaitForTheirChunksOnlyAndTheRestFollowsOnceLetThenTheWholeFileIsChecked()
      throws Exception {
    RemoteRootImages.Stored s = stored();
    Path target = tmp.resolve("filled.img");
    try (RootImageFill fill = images.lazyFill(s, target, 2)) {
      fill.readFirst(List.of(5, 2)); // chunk 2 is zero: never fetched
      // A read of chunk 6 gets its bytes (it waited for its chunk), a read of the zero chunk too.
      assertThat(read(fill, 6L * CHUNK + 10, 100))
          .isEqualTo(Arrays.copyOfRange(content, 6 * CHUNK + 10, 6 * CHUNK + 110));
      assertThat(read(fill, 2L * CHUNK, 50)).isEqualTo(new byte[50]);
      await().atMost(Duration.ofMinutes(1)).until(() -> gets.size() >= 2);
      // Before the rest is let go, only the chunk waited for and the one read first moved.
      assertThat(Set.copyOf(gets))
          .containsExactlyInAnyOrder(s.chunks().sha256().get(6), s.chunks().sha256().get(5));
      assertThat(fill.done()).isNotDone();
      long before = fill.fetchedBytes();
      assertThat(before).isPositive().isLessThan(s.sizeBytes());

      fill.fetchRest();
      fill.done().get();
      assertThat(gets).hasSize(8).doesNotHaveDuplicates(); // seven random chunks and the tail
      assertThat(Digests.sha256(target)).isEqualTo(s.sha256());
      assertThat(read(fill, 8L * CHUNK, 1000))
          .isEqualTo(Arrays.copyOfRange(content, 8 * CHUNK, content.length));
    }
  }

  @Test
  void aCorruptChunkFailsTheReadsAndTheFillWithoutAHang() throws Exception {
    RemoteRootImages.Stored s = stored();
    String victim = s.chunks().sha256().get(4);
    byte[] other = objects.get(RemoteKeys.chunk(s.chunks().sha256().get(1))).orElseThrow();
    objects.put(RemoteKeys.chunk(victim), other); // decodes, but to the wrong content
    try (RootImageFill fill = images.lazyFill(s, tmp.resolve("filled.img"), 2)) {
      assertThatThrownBy(() -> read(fill, 4L * CHUNK, 10))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("corrupt");
      // Every later read fails at once, the fill too.
      assertThatThrownBy(() -> read(fill, 7L * CHUNK, 10)).isInstanceOf(IOException.class);
      assertThatThrownBy(() -> fill.done().join())
          .isInstanceOf(CompletionException.class)
          .hasMessageContaining("corrupt");
    }
  }

  @Test
  void storageStoppingMidFillFailsTheFillAndTheReadsWaitingWithoutAHang() throws Exception {
    RemoteRootImages.Stored s = stored();
    try (RootImageFill fill = images.lazyFill(s, tmp.resolve("filled.img"), 2)) {
      assertThat(read(fill, 0, 10)).isEqualTo(Arrays.copyOf(content, 10));
      objects.intercept(
          (op, key) -> {
            throw new IOException("storage stopped");
          });
      fill.fetchRest();
      assertThatThrownBy(() -> read(fill, 7L * CHUNK, 10))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("storage stopped");
      assertThatThrownBy(() -> fill.done().join()).hasMessageContaining("storage stopped");
    }
  }

  @Test
  void anImageOfZeroChunksOnlyIsDoneAtOnceWithoutARequest() throws Exception {
    Path file = Files.write(tmp.resolve("zero.img"), new byte[3 * CHUNK]);
    images.upload(new RootImage(A, file, 3L * CHUNK, FilesystemFormat.EROFS, CONFIG));
    RemoteRootImages.Stored s = images.find(A, FilesystemFormat.EROFS).orElseThrow();
    Path target = tmp.resolve("filled.img");
    try (RootImageFill fill = images.lazyFill(s, target, 2)) {
      fill.done().get();
      assertThat(read(fill, CHUNK + 5, 10)).isEqualTo(new byte[10]);
      assertThat(fill.fetchedBytes()).isZero();
      assertThat(Digests.sha256(target)).isEqualTo(Digests.sha256(file));
    }
  }

  @Test
  void aFileThatDoesNotMatchTheImagesDigestIsNeverDone() throws Exception {
    RemoteRootImages.Stored real = stored();
    RemoteRootImages.Stored lying =
        new RemoteRootImages.Stored(
            real.formatVersion(),
            true,
            real.imageDigest(),
            real.format(),
            real.sizeBytes(),
            "ff".repeat(32),
            real.config(),
            real.chunks());
    try (RootImageFill fill = images.lazyFill(lying, tmp.resolve("filled.img"), 2)) {
      fill.fetchRest();
      assertThatThrownBy(() -> fill.done().join()).hasMessageContaining("SHA-256");
    }
  }
}
