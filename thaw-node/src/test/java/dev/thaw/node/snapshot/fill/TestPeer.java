package dev.thaw.node.snapshot.fill;

import dev.thaw.core.snapshot.ChunkList;
import dev.thaw.core.snapshot.SnapshotFile;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.http.BearerToken;
import dev.thaw.http.HttpAnswer;
import dev.thaw.http.HttpEdge;
import dev.thaw.node.peer.ChunkBatch;
import dev.thaw.node.peer.PeerEndpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A peer on 127.0.0.1 for tests of the reading side: the peer routes behind a token, each chunk
 * answered as {@link #answer} says (by default its bytes, 404 for chunks it does not hold), and
 * what it was asked counted. A stalling answer waits until {@link #close()}, at most a minute.
 */
final class TestPeer implements AutoCloseable {
  final BearerToken token = BearerToken.generate();
  final Map<String, byte[]> chunks = new ConcurrentHashMap<>();
  final Map<String, AtomicInteger> asked = new ConcurrentHashMap<>();
  final List<String> revisions;
  private final CountDownLatch closed = new CountDownLatch(1);
  private final HttpEdge edge;

  /** How the peer answers a request for a chunk: by default as the protocol says. */
  volatile Function<String, HttpAnswer> answer = this::honest;

  TestPeer(List<String> revisions) throws IOException {
    this.revisions = List.copyOf(revisions);
    this.edge =
        HttpEdge.builder("test-peer")
            .token(token)
            .route(
                "GET",
                "/peer/chunks/([0-9a-f]{64})",
                call -> {
                  asked.computeIfAbsent(call.group(1), d -> new AtomicInteger()).incrementAndGet();
                  return answer.apply(call.group(1));
                })
            .route("GET", "/peer/chunks", call -> batch(call.query("d").orElse("")))
            .route(
                "GET",
                "/peer/snapshots",
                call -> HttpAnswer.json(200, Map.of("node", "test", "revisions", this.revisions)))
            .start();
  }

  /**
   * A batch ({@link ChunkBatch}) made of {@link #answer}'s answer for each chunk: a chunk's bytes
   * are sent (whatever their length), a 404 says absent, and any other answer is the whole batch's.
   */
  private HttpAnswer batch(String digests) {
    ChunkBatch.Encoder out = new ChunkBatch.Encoder();
    for (String d : digests.split(",")) {
      asked.computeIfAbsent(d, k -> new AtomicInteger()).incrementAndGet();
      HttpAnswer a = answer.apply(d);
      if (a.status() == 404) {
        out.absent();
      } else if (a.status() != 200) {
        return a;
      } else if (!out.add(a.body())) {
        out.absent();
      }
    }
    return new HttpAnswer(200, "application/octet-stream", Map.of(), out.toBytes());
  }

  /** Holds every chunk of {@code manifest}, as its files in {@code dir} have them. */
  void holdAll(SnapshotManifest manifest, Path dir) throws IOException {
    for (SnapshotFile f : manifest.files()) {
      byte[] file = Files.readAllBytes(dir.resolve(f.name()));
      ChunkList list = f.chunks();
      for (int i = 0; i < list.sha256().size(); i++) {
        if (!list.isZero(i)) {
          int from = (int) list.offset(i);
          chunks.put(
              list.sha256().get(i),
              Arrays.copyOfRange(file, from, from + list.length(i, f.size())));
        }
      }
    }
  }

  PeerEndpoint endpoint() {
    return new PeerEndpoint("test", edge.uri());
  }

  HttpAnswer honest(String sha256) {
    byte[] data = chunks.get(sha256);
    return data == null
        ? HttpAnswer.error(404, "no such chunk")
        : new HttpAnswer(200, "application/octet-stream", Map.of(), data);
  }

  /** Bytes of the right length that are not the chunk's. */
  HttpAnswer corrupt(String sha256) {
    if (!chunks.containsKey(sha256)) {
      return honest(sha256);
    }
    byte[] data = chunks.get(sha256).clone();
    data[data.length / 2] ^= 1;
    return new HttpAnswer(200, "application/octet-stream", Map.of(), data);
  }

  /** No answer until the peer closes. */
  HttpAnswer stall(String sha256) throws InterruptedException {
    closed.await(1, TimeUnit.MINUTES);
    return honest(sha256);
  }

  int askedFor(String sha256) {
    AtomicInteger n = asked.get(sha256);
    return n == null ? 0 : n.get();
  }

  @Override
  public void close() {
    closed.countDown();
    edge.close();
  }
}
