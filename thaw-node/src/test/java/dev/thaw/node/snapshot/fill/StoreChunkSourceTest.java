package dev.thaw.node.snapshot.fill;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.thaw.core.snapshot.SnapshotMismatchException;
import dev.thaw.core.store.InMemoryObjectStore;
import dev.thaw.node.remote.RemoteSnapshotStore;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * {@link StoreChunkSource}: every chunk, pack neighbours with one ranged read, and a chunk damaged
 * in storage fetched twice before it fails.
 */
class StoreChunkSourceTest extends ChunkSourceContract {
  private final InMemoryObjectStore objects = new InMemoryObjectStore();
  private final RemoteSnapshotStore store = RemoteSnapshotStore.builder(objects).build();

  @Override
  ChunkSource source(Set<String> held) throws IOException {
    store.upload(manifest, made);
    return new StoreChunkSource(store, manifest, store.packIndex("fn"), tally);
  }

  @Test
  void neighboursInThePackComeWithOneRead() throws IOException {
    List<String> reads = new ArrayList<>();
    try (ChunkSource source = source(Set.of())) {
      objects.intercept(
          (op, key) -> {
            if (op == InMemoryObjectStore.Operation.GET
                || op == InMemoryObjectStore.Operation.GET_RANGE) {
              reads.add(key);
            }
          });
      List<String> wanted = List.copyOf(chunks.keySet());
      assertThat(source.supply(wanted, (d, data) -> {})).isEmpty();
    }
    assertThat(reads).hasSize(1);
    assertThat(tally.transfer(0).fetchedChunks()).isEqualTo(chunks.size());
  }

  @Test
  void aChunkDamagedInStorageIsFetchedTwiceThenFails() throws IOException {
    store.upload(manifest, made);
    String victim = chunks.keySet().iterator().next();
    String key = objects.keys().stream().filter(k -> k.endsWith(victim)).findFirst().orElseThrow();
    byte[] other =
        objects
            .get(
                objects.keys().stream()
                    .filter(k -> k.startsWith("_chunks/") && !k.endsWith(victim))
                    .findFirst()
                    .orElseThrow())
            .orElseThrow();
    objects.put(key, other);
    try (ChunkSource source = new StoreChunkSource(store, manifest, Optional.empty(), tally)) {
      assertThatThrownBy(() -> source.supply(List.of(victim), (d, data) -> {}))
          .isInstanceOf(SnapshotMismatchException.class)
          .hasMessageContaining(victim)
          .hasMessageContaining("fetched twice");
    }
    assertThat(tally.transfer(0).refetches()).isEqualTo(1);
    assertThat(tally.transfer(0).fetchedChunks()).isZero();
  }
}
