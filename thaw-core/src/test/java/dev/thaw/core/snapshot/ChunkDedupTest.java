package dev.thaw.core.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.thaw.core.function.BuiltinFunctions;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChunkDedupTest {
  private static final int CHUNK = ChunkList.MIN_SIZE;

  @TempDir Path dir;

  /** Memory of one chunk per value: a chunk of that byte, or of zeros for 0. */
  private static byte[] memory(int... chunks) {
    byte[] m = new byte[chunks.length * CHUNK];
    for (int i = 0; i < chunks.length; i++) {
      Arrays.fill(m, i * CHUNK, (i + 1) * CHUNK, (byte) chunks[i]);
    }
    return m;
  }

  private SnapshotManifest snapshot(String revision, int... chunks) throws Exception {
    return SnapshotFixtures.chunked(
        dir.resolve(revision),
        revision,
        BuiltinFunctions.byId("hello").orElseThrow(),
        memory(chunks),
        CHUNK);
  }

  @Test
  void sharedChunksCountOnceAndZeroChunksNotAtAll() throws Exception {
    // a: chunks 1, 2, 1 again and a zero chunk; b: 1, 3 and two zero chunks. Each also has a
    // state file of its own ("state of a", "state of b": 10 bytes, not shared).
    SnapshotManifest a = snapshot("a", 1, 2, 1, 0);
    SnapshotManifest b = snapshot("b", 1, 3, 0, 0);
    ChunkDedup d = ChunkDedup.between(a, b);
    long state = "state of a".length();
    assertThat(d.nonZeroBytes()).isEqualTo(2L * CHUNK + state);
    assertThat(d.sharedBytes()).isEqualTo(CHUNK);
    assertThat(d.ratio()).isCloseTo((double) CHUNK / (2 * CHUNK + state), within(1e-12));
    // Both: 2 chunks + state each; stored once: chunks 1, 2, 3 and both states.
    assertThat(d.storedOnceRatio())
        .isCloseTo((4.0 * CHUNK + 2 * state) / (3 * CHUNK + 2 * state), within(1e-12));
  }

  @Test
  void aSnapshotSharesAllWithItself() throws Exception {
    SnapshotManifest a = snapshot("a", 1, 2);
    ChunkDedup d = ChunkDedup.between(a, a);
    assertThat(d.sharedBytes()).isEqualTo(d.nonZeroBytes());
    assertThat(d.ratio()).isEqualTo(1.0);
    assertThat(d.storedOnceRatio()).isEqualTo(2.0);
  }
}
