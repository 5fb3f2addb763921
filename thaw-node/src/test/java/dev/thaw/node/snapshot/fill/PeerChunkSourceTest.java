package dev.thaw.node.snapshot.fill;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.core.snapshot.SnapshotFile;
import dev.thaw.core.store.InMemoryObjectStore;
import dev.thaw.http.BearerToken;
import dev.thaw.http.HttpAnswer;
import dev.thaw.node.remote.RemoteSnapshotStore;
import dev.thaw.node.snapshot.cache.LocalChunks;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link PeerChunkSource} against a peer served over HTTP on 127.0.0.1: what the peer holds comes
 * verified, and whatever it lacks, refuses, stalls on or sends wrong is left to storage, which the
 * fill then asks exactly once per such chunk.
 */
class PeerChunkSourceTest extends ChunkSourceContract {
  private final HttpClient http = PeerHttp.client();
  private final StorageCost cost = new StorageCost(PeerReads.FLOOR);
  private final InMemoryObjectStore objects = new InMemoryObjectStore();
  private final RemoteSnapshotStore store = RemoteSnapshotStore.builder(objects).build();
  private TestPeer peer;

  @AfterEach
  void closePeer() {
    if (peer != null) {
      peer.close();
    }
  }

  @Override
  ChunkSource source(Set<String> held) throws IOException {
    peer = new TestPeer(List.of("fn"));
    held.forEach(d -> peer.chunks.put(d, chunks.get(d)));
    return source(peer.token);
  }

  private PeerChunkSource source(BearerToken token) {
    return new PeerChunkSource(
        List.of(peer.endpoint()), token, http, 4, manifest.chunks(), tally, cost);
  }

  private List<String> wanted() {
    return List.copyOf(chunks.keySet());
  }

  /** What the source puts, by chunk. */
  private final Map<String, byte[]> put = new HashMap<>();

  private List<String> supply(ChunkSource source, List<String> wanted) throws IOException {
    return source.supply(wanted, (d, data) -> put.put(d, data.clone()));
  }

  @Test
  void aChunkThePeerLacksIsLeftToStorage() throws IOException {
    List<String> wanted = wanted();
    try (ChunkSource source = source(Set.of(wanted.get(0)))) {
      assertThat(supply(source, wanted)).isEqualTo(wanted.subList(1, wanted.size()));
      // 404 says nothing against the peer: it is asked again.
      assertThat(supply(source, List.of(wanted.get(0)))).isEmpty();
    }
    assertThat(put.get(wanted.get(0))).isEqualTo(chunks.get(wanted.get(0)));
    assertThat(tally.transfer(0).peerFallbacks())
        .isEqualTo(Map.of(PeerFallback.MISSING, wanted.size() - 1));
    assertThat(tally.transfer(0).peerChunks()).isEqualTo(2);
  }

  @Test
  void aReaderWithoutThePeerTokenGetsNothingAndAsksNoMore() throws IOException {
    try (ChunkSource source = source(chunks.keySet())) {
      try (ChunkSource wrong = source(BearerToken.generate())) {
        assertThat(supply(wrong, wanted())).isEqualTo(wanted());
      }
    }
    assertThat(put).isEmpty();
    assertThat(peer.asked).isEmpty(); // the edge refused every request before the route
    assertThat(tally.transfer(0).peerFallbacks()).containsKey(PeerFallback.UNAUTHORIZED);
    assertThat(tally.transfer(0).peerFallbacks().values().stream().mapToInt(i -> i).sum())
        .isEqualTo(chunks.size());
  }

  @Test
  void aBusyPeerIsAskedAgainLater() throws IOException {
    List<String> wanted = wanted();
    try (ChunkSource source = source(chunks.keySet())) {
      peer.answer = d -> HttpAnswer.error(503, "busy").withHeader("Retry-After", "1");
      assertThat(supply(source, wanted.subList(0, 2))).isEqualTo(wanted.subList(0, 2));
      peer.answer = peer::honest;
      assertThat(supply(source, wanted.subList(0, 2))).isEmpty();
    }
    assertThat(tally.transfer(0).peerFallbacks()).isEqualTo(Map.of(PeerFallback.BUSY, 2));
  }

  @Test
  void bytesLongerThanTheChunkAreNeverHandedOver() throws IOException {
    try (ChunkSource source = source(chunks.keySet())) {
      peer.answer =
          d -> new HttpAnswer(200, "application/octet-stream", Map.of(), new byte[CHUNK + 1]);
      assertThat(supply(source, wanted())).isEqualTo(wanted());
    }
    assertThat(put).isEmpty();
    assertThat(tally.transfer(0).peerFallbacks()).containsKey(PeerFallback.CORRUPT);
  }

  @Test
  void aStallingPeerIsGivenWhatStorageWouldTakeThenDropped() throws IOException {
    cost.measured(CHUNK, Duration.ofMillis(20).toNanos()); // storage: 20 ms a chunk
    List<String> wanted = wanted();
    try (ChunkSource source = source(chunks.keySet())) {
      peer.answer =
          d -> {
            try {
              return peer.stall(d);
            } catch (InterruptedException e) {
              throw new IllegalStateException(e);
            }
          };
      assertThat(supply(source, wanted.subList(0, 3))).isEqualTo(wanted.subList(0, 3));
      int askedBefore = peer.asked.values().stream().mapToInt(n -> n.get()).sum();
      assertThat(supply(source, wanted.subList(3, 5))).isEqualTo(wanted.subList(3, 5));
      assertThat(peer.asked.values().stream().mapToInt(n -> n.get()).sum()).isEqualTo(askedBefore);
    }
    assertThat(put).isEmpty();
    Map<PeerFallback, Integer> fallbacks = tally.transfer(0).peerFallbacks();
    assertThat(fallbacks).containsKey(PeerFallback.TIMEOUT).containsEntry(PeerFallback.SKIPPED, 2);
  }

  @Test
  void aLyingPeerCostsEachChunkOneStorageFetchAndTheFilesComeOutRight() throws IOException {
    store.upload(manifest, made);
    Map<String, Integer> storageReads = new HashMap<>();
    objects.intercept(
        (op, key) -> {
          if (op == InMemoryObjectStore.Operation.GET
              || op == InMemoryObjectStore.Operation.GET_RANGE) {
            synchronized (storageReads) {
              storageReads.merge(key, 1, Integer::sum);
            }
          }
        });
    peer = new TestPeer(List.of("fn"));
    peer.chunks.putAll(chunks);
    peer.answer = peer::corrupt;
    PeerReads peers =
        PeerReads.builder(revision -> List.of(peer.endpoint()), peer.token).http(http).build();
    Path out = tmp.resolve("out");
    Files.createDirectories(out);
    ChunkAssembler.Transfer moved;
    try (ChunkAssembler assembler = new ChunkAssembler(store, 4, peers)) {
      ChunkAssembler.allocate(manifest, out);
      // Without the pack: every chunk from storage is a request for its own object.
      moved = assembler.assemble(manifest, out, LocalChunks.none(), Optional::empty);
    }
    for (SnapshotFile f : manifest.files()) {
      assertThat(out.resolve(f.name())).hasSameBinaryContentAs(made.resolve(f.name()));
    }
    List<String> chunkReads = new ArrayList<>();
    storageReads.forEach(
        (key, n) -> {
          if (key.startsWith("_chunks/")) {
            chunkReads.add(key);
            assertThat(n).as(key).isEqualTo(1);
          }
        });
    assertThat(chunkReads).hasSize(manifest.chunks().size());
    assertThat(moved.peerChunks()).isZero();
    assertThat(moved.refetches()).isZero();
    assertThat(moved.fetchedChunks()).isEqualTo(manifest.chunks().size());
    assertThat(moved.peerFallbacks()).containsKey(PeerFallback.CORRUPT);
  }
}
