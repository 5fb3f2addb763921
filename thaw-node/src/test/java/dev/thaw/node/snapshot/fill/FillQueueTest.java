package dev.thaw.node.snapshot.fill;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link FillQueue}: the priority set, then the rest once let go; a waited-for chunk first; each
 * chunk once.
 */
@Timeout(10)
class FillQueueTest {
  private static final List<String> ORDER = List.of("a", "b", "c", "d", "e");

  /** Pack offsets: backwards, so that a batch visibly comes sorted by them. */
  private static long offset(String d) {
    return 100 - d.charAt(0);
  }

  @Test
  void thePrioritySetComesFirstAndTheRestWaitsUntilLetGo() throws Exception {
    FillQueue queue = new FillQueue(ORDER, 2, FillQueueTest::offset);
    assertThat(queue.next()).containsExactly("b", "a");
    CompletableFuture<List<String>> waiting = CompletableFuture.supplyAsync(queue::next);
    assertThatThrownBy(() -> waiting.get(200, TimeUnit.MILLISECONDS))
        .isInstanceOf(TimeoutException.class);
    queue.letRest();
    assertThat(waiting.get(5, TimeUnit.SECONDS)).containsExactly("e", "d", "c");
    assertThat(queue.next()).isEmpty();
  }

  @Test
  void aChunkAReadWaitsForGoesFirstAndOnlyOnce() {
    FillQueue queue = new FillQueue(ORDER, 1, FillQueueTest::offset);
    assertThat(queue.hurry("d")).isTrue();
    assertThat(queue.next()).containsExactly("d");
    assertThat(queue.hurry("d")).isFalse();
    assertThat(queue.next()).containsExactly("a");
    queue.letRest();
    assertThat(queue.next()).containsExactly("e", "c", "b");
  }

  @Test
  void aWiderPrioritySetLetsWaitingWorkersOn() throws Exception {
    FillQueue queue = new FillQueue(ORDER, 1, FillQueueTest::offset);
    assertThat(queue.next()).containsExactly("a");
    CompletableFuture<List<String>> waiting = CompletableFuture.supplyAsync(queue::next);
    queue.widenPriority(3);
    assertThat(waiting.get(5, TimeUnit.SECONDS)).containsExactly("c", "b");
    assertThat(queue.priorityChunks()).isEqualTo(3);
  }

  @Test
  void aStoppedQueueHandsOutNothingMoreAndWakesItsWorkers() throws Exception {
    FillQueue queue = new FillQueue(ORDER, 1, FillQueueTest::offset);
    queue.next();
    CompletableFuture<List<String>> waiting = CompletableFuture.supplyAsync(queue::next);
    queue.stop();
    assertThat(waiting.get(5, TimeUnit.SECONDS)).isEmpty();
    queue.letRest();
    assertThat(queue.next()).isEmpty();
  }

  @Test
  void aBatchHoldsAtMostBatchChunks() {
    List<String> many = IntStream.range(0, 40).mapToObj(i -> "c" + (char) ('0' + i)).toList();
    FillQueue queue = new FillQueue(many, 0, FillQueueTest::offset);
    queue.letRest();
    assertThat(queue.next()).hasSize(FillQueue.BATCH);
    assertThat(queue.next()).hasSize(FillQueue.BATCH);
    assertThat(queue.next()).hasSize(40 - 2 * FillQueue.BATCH);
    assertThat(queue.next()).isEmpty();
  }
}
