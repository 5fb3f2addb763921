package dev.thaw.node.snapshot.fill;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.core.function.BuiltinFunctions;
import dev.thaw.core.snapshot.SnapshotFile;
import dev.thaw.core.snapshot.SnapshotFixtures;
import dev.thaw.core.snapshot.SnapshotManifest;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link FillOrder}: the device state, then the first clone's non-zero chunks, then the rest, each
 * in pack order.
 */
class FillOrderTest {
  private static final int CHUNK = 64 << 10;

  @TempDir Path tmp;

  @Test
  void theDeviceStateThenTheFirstClonesChunksThenTheRestEachInPackOrder() throws IOException {
    byte[] memory = new byte[6 * CHUNK];
    new Random(3).nextBytes(memory);
    Arrays.fill(memory, 2 * CHUNK, 3 * CHUNK, (byte) 0);
    SnapshotManifest m =
        SnapshotFixtures.chunked(tmp, "fn", BuiltinFunctions.HELLO, memory, CHUNK)
            .withWorkingSet(List.of(1, 2, 4), null);
    List<String> mem = m.file(SnapshotFile.Role.MEMORY).orElseThrow().chunks().sha256();
    String state = m.file(SnapshotFile.Role.STATE).orElseThrow().chunks().sha256().get(0);
    // The pack holds the memory chunks backwards; the state is not in it.
    FillOrder order = FillOrder.of(m, d -> mem.contains(d) ? 100L - mem.indexOf(d) : -1L);

    assertThat(order.beforeStart()).containsExactly(state);
    assertThat(order.firstClone()).containsExactly(mem.get(4), mem.get(1));
    assertThat(order.rest()).containsExactly(mem.get(5), mem.get(3), mem.get(0));
    assertThat(order.all())
        .containsExactly(state, mem.get(4), mem.get(1), mem.get(5), mem.get(3), mem.get(0));
  }

  @Test
  void withoutAFirstCloneEveryMemoryChunkIsTheRest() throws IOException {
    byte[] memory = new byte[3 * CHUNK];
    new Random(5).nextBytes(memory);
    SnapshotManifest m = SnapshotFixtures.chunked(tmp, "fn", BuiltinFunctions.HELLO, memory, CHUNK);
    List<String> mem = m.file(SnapshotFile.Role.MEMORY).orElseThrow().chunks().sha256();

    FillOrder order = FillOrder.of(m, d -> -1L);

    assertThat(order.firstClone()).isEmpty();
    assertThat(order.rest()).containsExactlyElementsOf(mem);
  }
}
