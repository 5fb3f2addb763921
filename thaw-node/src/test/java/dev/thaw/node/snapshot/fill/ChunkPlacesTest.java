package dev.thaw.node.snapshot.fill;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.thaw.core.function.BuiltinFunctions;
import dev.thaw.core.snapshot.SnapshotFile;
import dev.thaw.core.snapshot.SnapshotFixtures;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotManifestCodec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ChunkPlaces}: a chunk written once lands at every place it is listed; zero chunks and zero
 * pages stay holes.
 */
class ChunkPlacesTest {
  private static final int CHUNK = 64 << 10;

  @TempDir Path tmp;

  @Test
  void eachChunkLandsAtEveryPlaceAndTheFilesMatchTheManifest() throws IOException {
    byte[] memory = new byte[6 * CHUNK];
    new Random(9).nextBytes(memory);
    System.arraycopy(memory, 0, memory, 4 * CHUNK, CHUNK); // chunk 4 repeats chunk 0
    Arrays.fill(memory, 2 * CHUNK, 3 * CHUNK, (byte) 0); // chunk 2 is zero
    Arrays.fill(memory, 5 * CHUNK + 4096, 5 * CHUNK + 3 * 4096, (byte) 0); // two zero pages
    SnapshotManifest m =
        SnapshotFixtures.chunked(tmp.resolve("made"), "fn", BuiltinFunctions.HELLO, memory, CHUNK);
    Path dir = Files.createDirectories(tmp.resolve("filled"));
    ChunkAssembler.allocate(m, dir);
    List<String> mem = m.file(SnapshotFile.Role.MEMORY).orElseThrow().chunks().sha256();
    try (ChunkPlaces places = new ChunkPlaces(m, dir)) {
      // Four distinct memory chunks and the state's.
      assertThat(places.chunks()).hasSize(5).doesNotContainNull();
      assertThat(places.zeroBytes()).isEqualTo(CHUNK);
      for (int i : List.of(0, 1, 3, 5)) {
        places.write(mem.get(i), Arrays.copyOfRange(memory, i * CHUNK, (i + 1) * CHUNK));
      }
      String state = Files.readString(tmp.resolve("made").resolve("state"));
      places.write(
          m.file(SnapshotFile.Role.STATE).orElseThrow().chunks().sha256().get(0),
          Arrays.copyOf(state.getBytes(java.nio.charset.StandardCharsets.UTF_8), CHUNK));
    }
    assertThat(Files.readAllBytes(dir.resolve("memory"))).isEqualTo(memory);
    SnapshotManifestCodec.verifyFiles(m, dir);
  }

  @Test
  void aFileWithoutChunksIsRefused() throws IOException {
    SnapshotManifest m =
        SnapshotFixtures.manifest(
            "fn",
            BuiltinFunctions.HELLO,
            1,
            List.of(SnapshotFile.whole("memory", SnapshotFile.Role.MEMORY, 4096, "0".repeat(64))));
    Path dir = Files.createDirectories(tmp.resolve("whole"));
    Files.write(dir.resolve("memory"), new byte[4096]);
    assertThatThrownBy(() -> new ChunkPlaces(m, dir))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("format-1 file memory");
  }
}
