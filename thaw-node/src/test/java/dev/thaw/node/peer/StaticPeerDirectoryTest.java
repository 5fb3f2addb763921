package dev.thaw.node.peer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.thaw.core.function.Revision;
import dev.thaw.http.BearerToken;
import dev.thaw.http.HttpAnswer;
import dev.thaw.http.HttpEdge;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link StaticPeerDirectory} against peers on 127.0.0.1: it names those that say they hold a
 * revision, asks each at most once per TTL and in the background (the old answer stands meanwhile),
 * and skips a dead peer or one that refuses its token.
 */
class StaticPeerDirectoryTest {
  private final BearerToken token = BearerToken.generate();
  private final AtomicInteger asked = new AtomicInteger();
  private final AtomicLong now = new AtomicLong();
  private HttpEdge peer;

  @AfterEach
  void stop() {
    if (peer != null) {
      peer.close();
    }
  }

  private PeerEndpoint peer(List<String> revisions) throws IOException {
    return peer(revisions, new CountDownLatch(0));
  }

  /** A peer that holds {@code revisions} and answers its second and later askers once let go. */
  private PeerEndpoint peer(List<String> revisions, CountDownLatch letGo) throws IOException {
    peer =
        HttpEdge.builder("peer")
            .token(token)
            .route(
                "GET",
                "/peer/snapshots",
                call -> {
                  if (asked.incrementAndGet() > 1) {
                    letGo.await();
                  }
                  return HttpAnswer.json(200, Map.of("node", "a", "revisions", revisions));
                })
            .start();
    return new PeerEndpoint("a", peer.uri());
  }

  private StaticPeerDirectory directory(List<PeerEndpoint> peers, BearerToken token) {
    // A generous timeout: a loaded machine must not turn a slow answer into "holds nothing".
    return new StaticPeerDirectory(
        peers, token, HttpClient.newHttpClient(), now::get, Duration.ofSeconds(30));
  }

  private static PeerEndpoint dead() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return new PeerEndpoint("gone", URI.create("http://127.0.0.1:" + s.getLocalPort()));
    }
  }

  @Test
  void namesThePeersHoldingARevisionAndSkipsADeadOne() throws IOException {
    PeerEndpoint a = peer(List.of("hello", "stateful"));
    StaticPeerDirectory d = directory(List.of(dead(), a), token);
    d.refreshStale().join();
    assertThat(d.holding(Revision.of("hello"))).containsExactly(a);
    assertThat(d.holding(Revision.of("other"))).isEmpty();
  }

  @Test
  void asksAPeerAgainOnlyOnceItsAnswerIsOld() throws IOException {
    StaticPeerDirectory d = directory(List.of(peer(List.of("hello"))), token);
    d.refreshStale().join();
    d.holding(Revision.of("hello"));
    d.holding(Revision.of("hello"));
    assertThat(asked).hasValue(1);
    now.addAndGet(StaticPeerDirectory.TTL.toNanos() + 1);
    d.holding(Revision.of("hello"));
    d.refreshStale().join();
    assertThat(asked).hasValue(2);
  }

  @Test
  void answersFromMemoryWhileAPeerIsAskedAgain() throws IOException {
    CountDownLatch letGo = new CountDownLatch(1);
    PeerEndpoint a = peer(List.of("hello"), letGo);
    StaticPeerDirectory d = directory(List.of(a), token);
    d.refreshStale().join();
    now.addAndGet(StaticPeerDirectory.TTL.toNanos() + 1);
    try {
      // The peer holds its second answer until let go; the first one stands meanwhile.
      assertThat(d.holding(Revision.of("hello"))).containsExactly(a);
      assertThat(d.holding(Revision.of("hello"))).containsExactly(a);
      assertThat(d.refreshStale()).isNotDone();
    } finally {
      letGo.countDown();
    }
    d.refreshStale().join();
    assertThat(asked).hasValue(2);
  }

  @Test
  void aPeerThatRefusesTheTokenHoldsNothing() throws IOException {
    StaticPeerDirectory d = directory(List.of(peer(List.of("hello"))), BearerToken.generate());
    d.refreshStale().join();
    assertThat(d.holding(Revision.of("hello"))).isEmpty();
    assertThat(asked).hasValue(0);
  }

  @Test
  void aPeerFlagIsNameEqualsAnHttpUrl() {
    assertThat(StaticPeerDirectory.parse("node-2=http://127.0.0.1:8701"))
        .isEqualTo(new PeerEndpoint("node-2", URI.create("http://127.0.0.1:8701")));
    assertThatThrownBy(() -> StaticPeerDirectory.parse("http://127.0.0.1:8701"))
        .hasMessageContaining("NAME=URL");
    assertThatThrownBy(() -> StaticPeerDirectory.parse("n=file:///etc/passwd"))
        .hasMessageContaining("http(s) URL");
  }
}
