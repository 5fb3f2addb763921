package dev.thaw.node.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.thaw.core.io.Digests;
import dev.thaw.core.store.InMemoryObjectStore;
import dev.thaw.image.FilesystemFormat;
import dev.thaw.image.ImageConfig;
import dev.thaw.image.RootImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Root images as chunked files in remote storage: round trip, dedup, holes, checks, and GC. */
class RemoteRootImagesTest {
  private static final String A = "sha256:" + "aa".repeat(32);
  private static final String B = "sha256:" + "bb".repeat(32);
  private static final int CHUNK = RemoteRootImages.CHUNK_SIZE;
  private static final ImageConfig CONFIG =
      new ImageConfig(List.of("/f"), List.of(), List.of("PATH=/bin"), "/", "", Set.of(8080));

  @TempDir Path tmp;
  private final InMemoryObjectStore objects = new InMemoryObjectStore();
  private final RemoteSnapshotStore store = RemoteSnapshotStore.builder(objects).build();
  private final RemoteRootImages images = store.rootImages();

  @AfterEach
  void close() {
    store.close();
  }

  /** A file of {@code chunks} chunks: random ones, and zero ones where {@code zero} says. */
  private RootImage image(String digest, String name, long seed, boolean... zero) throws Exception {
    byte[] content = new byte[zero.length * CHUNK + 1000];
    Random r = new Random(seed);
    for (int i = 0; i < zero.length; i++) {
      if (!zero[i]) {
        byte[] c = new byte[CHUNK];
        r.nextBytes(c);
        System.arraycopy(c, 0, content, i * CHUNK, CHUNK);
      }
    }
    for (int i = zero.length * CHUNK; i < content.length; i++) {
      content[i] = (byte) (1 + r.nextInt(200)); // a short, non-zero tail chunk
    }
    Path file = Files.write(tmp.resolve(name), content);
    return new RootImage(digest, file, content.length, FilesystemFormat.EROFS, CONFIG);
  }

  private long chunkObjects() {
    return objects.keys().stream().filter(k -> k.startsWith(RemoteKeys.CHUNKS)).count();
  }

  @Test
  void roundTripsByteForByteWithHolesStoredOnce() throws Exception {
    RootImage a = image(A, "a.img", 1, false, true, false, true);
    assertThat(images.find(A, FilesystemFormat.EROFS)).isEmpty();

    images.upload(a);

    // Two random chunks and the tail are stored; the zero chunks are not.
    assertThat(chunkObjects()).isEqualTo(3);
    RemoteRootImages.Stored s = images.find(A, FilesystemFormat.EROFS).orElseThrow();
    assertThat(s.complete()).isTrue();
    assertThat(s.config()).isEqualTo(CONFIG);
    assertThat(images.find(A, FilesystemFormat.EXT4)).isEmpty();
    Path copy = tmp.resolve("copy.img");
    images.download(s, copy);
    assertThat(Files.size(copy)).isEqualTo(a.sizeBytes());
    assertThat(Digests.sha256(copy)).isEqualTo(Digests.sha256(a.file()));

    // An image sharing content shares its chunks: only its own new chunk is stored.
    RootImage b = image(B, "b.img", 1, false, true, false, true);
    byte[] bytes = Files.readAllBytes(b.file());
    bytes[bytes.length - 1] ^= 1; // a different tail
    Files.write(b.file(), bytes);
    images.upload(b);
    assertThat(chunkObjects()).isEqualTo(4);
  }

  @Test
  void aCorruptChunkOrAnIncompleteRecordIsNeverUsed() throws Exception {
    RootImage a = image(A, "a.img", 2, false, false);
    images.upload(a);
    RemoteRootImages.Stored s = images.find(A, FilesystemFormat.EROFS).orElseThrow();
    String victim = s.chunks().sha256().get(0);
    byte[] other = objects.get(RemoteKeys.chunk(s.chunks().sha256().get(1))).orElseThrow();
    objects.put(RemoteKeys.chunk(victim), other); // decodes, but to the wrong content

    assertThatThrownBy(() -> images.download(s, tmp.resolve("copy.img")))
        .hasMessageContaining("corrupt");

    // An upload cut off after its first record: not offered to readers.
    byte[] record = objects.get(RemoteRootImages.key(A, FilesystemFormat.EROFS)).orElseThrow();
    String incomplete =
        new String(record, java.nio.charset.StandardCharsets.UTF_8)
            .replace("\"complete\":true", "\"complete\":false");
    objects.put(RemoteRootImages.key(A, FilesystemFormat.EROFS), incomplete.getBytes());
    assertThat(images.find(A, FilesystemFormat.EROFS)).isEmpty();
  }

  @Test
  void garbageCollectionKeepsEveryChunkOfAnImage() throws Exception {
    images.upload(image(A, "a.img", 3, false, false, true, false));
    long stored = chunkObjects();

    var report = store.collectGarbage(Duration.ZERO, line -> {});

    assertThat(report.chunksDeleted()).isZero();
    assertThat(chunkObjects()).isEqualTo(stored);
    images.download(images.find(A, FilesystemFormat.EROFS).orElseThrow(), tmp.resolve("c.img"));
  }
}
