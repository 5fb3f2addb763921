package dev.thaw.node.snapshot.fill;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.core.snapshot.ChunkList;
import dev.thaw.core.snapshot.SnapshotFile;
import dev.thaw.node.snapshot.cache.LocalChunks;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** {@link LocalChunkSource}: copies of the chunks a local cache entry holds, and only those. */
class LocalChunkSourceTest extends ChunkSourceContract {

  @Override
  ChunkSource source(Set<String> held) {
    return new LocalChunkSource(holding(held), tally);
  }

  private LocalChunks holding(Set<String> held) {
    SnapshotFile f = manifest.file(SnapshotFile.Role.MEMORY).orElseThrow();
    ChunkList list = f.chunks();
    Map<String, LocalChunks.Location> at = new HashMap<>();
    for (int i = 0; i < list.sha256().size(); i++) {
      String d = list.sha256().get(i);
      if (d != null && held.contains(d)) {
        at.put(
            d,
            new LocalChunks.Location(
                made.resolve(f.name()), list.offset(i), list.length(i, f.size())));
      }
    }
    return new LocalChunks(at, () -> {});
  }

  @Test
  void copiesAreCountedAsCopiesNotFetches() throws IOException {
    String first = chunks.keySet().iterator().next();
    try (LocalChunkSource source = new LocalChunkSource(holding(Set.of(first)), tally)) {
      assertThat(source.has(first)).isTrue();
      assertThat(source.supply(List.copyOf(chunks.keySet()), (d, data) -> {}))
          .hasSize(chunks.size() - 1);
    }
    ChunkAssembler.Transfer moved = tally.transfer(0);
    assertThat(moved.copiedChunks()).isEqualTo(1);
    assertThat(moved.copiedBytes()).isEqualTo(CHUNK);
    assertThat(moved.fetchedChunks()).isZero();
    assertThat(moved.fetchedBytes()).isZero();
  }
}
