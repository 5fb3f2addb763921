package dev.thaw.node.snapshot.fill;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.core.function.BuiltinFunctions;
import dev.thaw.core.snapshot.ChunkList;
import dev.thaw.core.snapshot.SnapshotFile;
import dev.thaw.core.snapshot.SnapshotFixtures;
import dev.thaw.core.snapshot.SnapshotManifest;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every {@link ChunkSource} does, run against each: it puts each chunk it has, with the bytes
 * the chunk's name promises, and returns the others in the order they were asked for.
 */
abstract class ChunkSourceContract {
  static final int CHUNK = 64 << 10;

  @TempDir Path tmp;
  final TransferTally tally = new TransferTally();
  final byte[] memory = new byte[12 * CHUNK];
  SnapshotManifest manifest;
  Path made;

  /** The memory file's non-zero chunks, by index, and their bytes. */
  final Map<String, byte[]> chunks = new LinkedHashMap<>();

  /**
   * A source of {@code manifest}'s chunks, as made in {@link #made}, that has at least {@code
   * held}.
   */
  abstract ChunkSource source(Set<String> held) throws IOException;

  @BeforeEach
  void snapshot() throws IOException {
    new Random(11).nextBytes(memory);
    Arrays.fill(memory, 3 * CHUNK, 4 * CHUNK, (byte) 0);
    made = tmp.resolve("made");
    manifest = SnapshotFixtures.chunked(made, "fn", BuiltinFunctions.HELLO, memory, CHUNK);
    ChunkList list = manifest.file(SnapshotFile.Role.MEMORY).orElseThrow().chunks();
    for (int i = 0; i < list.sha256().size(); i++) {
      if (!list.isZero(i)) {
        chunks.put(list.sha256().get(i), Arrays.copyOfRange(memory, i * CHUNK, (i + 1) * CHUNK));
      }
    }
  }

  @Test
  void eachChunkItHasComesWithItsBytesAndTheOthersReturnInOrder() throws IOException {
    List<String> wanted = new ArrayList<>(chunks.keySet());
    java.util.Collections.reverse(wanted);
    Set<String> held = new HashSet<>(wanted.subList(0, wanted.size() / 2));
    Map<String, byte[]> put = new LinkedHashMap<>();
    List<String> left;
    try (ChunkSource source = source(held)) {
      left =
          source.supply(
              wanted, (d, data) -> assertThat(put.put(d, Arrays.copyOf(data, CHUNK))).isNull());
    }
    assertThat(put.keySet()).containsAll(held);
    assertThat(left).noneMatch(put::containsKey);
    put.forEach((d, data) -> assertThat(data).as(d).isEqualTo(chunks.get(d)));
    assertThat(left).isEqualTo(wanted.stream().filter(d -> !put.containsKey(d)).toList());
    ChunkAssembler.Transfer moved = tally.transfer(0);
    assertThat(moved.fetchedChunks() + moved.copiedChunks() + moved.peerChunks())
        .isEqualTo(put.size());
  }

  @Test
  void askedForNothingItPutsNothing() throws IOException {
    try (ChunkSource source = source(chunks.keySet())) {
      assertThat(
              source.supply(
                  List.of(),
                  (d, data) -> {
                    throw new AssertionError("put " + d);
                  }))
          .isEmpty();
    }
  }
}
