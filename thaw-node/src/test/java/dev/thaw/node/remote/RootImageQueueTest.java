package dev.thaw.node.remote;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.core.snapshot.ChunkList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The order of a lazily served root image's chunks: waited for, read first, then the rest. */
class RootImageQueueTest {
  private static final int CHUNK = 64 << 10;

  private static ChunkList chunks(String... digests) {
    return new ChunkList(CHUNK, Arrays.asList(digests));
  }

  private static String d(char c) {
    return String.valueOf(c).repeat(64);
  }

  private static List<String> drain(RootImageQueue q) throws InterruptedException {
    List<String> out = new ArrayList<>();
    for (Optional<String> n = q.next(); n.isPresent(); n = q.next()) {
      out.add(n.get());
    }
    return out;
  }

  @Test
  void readFirstChunksComeInTheirOrderThenTheRestInFileOrderOnceLet() throws Exception {
    RootImageQueue q = new RootImageQueue(chunks(d('a'), null, d('b'), d('c'), d('d')));
    q.readFirst(List.of(3, 1, 0, 99, -1)); // a zero chunk and indexes out of range are skipped
    assertThat(q.next()).contains(d('c'));
    assertThat(q.next()).contains(d('a'));

    // The rest is held back until let go: next() waits.
    CompletableFuture<Optional<String>> held =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return q.next();
              } catch (InterruptedException e) {
                throw new IllegalStateException(e);
              }
            });
    assertThat(held).isNotDone();
    q.letRest();
    assertThat(held.get(1, TimeUnit.MINUTES)).contains(d('b'));
    assertThat(drain(q)).containsExactly(d('d'));
  }

  @Test
  void aChunkWaitedForJumpsTheQueueAndEveryChunkGoesOutOnce() throws Exception {
    // One content at two places: fetched once.
    RootImageQueue q = new RootImageQueue(chunks(d('a'), d('b'), d('a'), d('c')));
    q.readFirst(List.of(1));
    assertThat(q.hurry(d('c'))).isTrue();
    assertThat(q.next()).contains(d('c'));
    assertThat(q.hurry(d('c'))).as("handed out already").isFalse();
    q.letRest();
    assertThat(drain(q)).containsExactly(d('b'), d('a'));
  }

  @Test
  void aStoppedQueueHandsOutNothingAndWakesItsWaiters() throws Exception {
    RootImageQueue q = new RootImageQueue(chunks(d('a'), d('b')));
    CompletableFuture<Optional<String>> waiting =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return q.next();
              } catch (InterruptedException e) {
                throw new IllegalStateException(e);
              }
            });
    q.stop();
    assertThat(waiting.get(1, TimeUnit.MINUTES)).isEmpty();
    assertThat(q.hurry(d('a'))).isFalse();
    q.letRest();
    assertThat(q.next()).isEmpty();
  }
}
