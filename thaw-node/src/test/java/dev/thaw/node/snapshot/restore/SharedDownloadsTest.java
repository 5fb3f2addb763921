package dev.thaw.node.snapshot.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Concurrent cold starts of one revision: one download, released when the leader settles it. */
class SharedDownloadsTest {
  private final SharedDownloads downloads = new SharedDownloads();
  private final ExecutorService pool = Executors.newCachedThreadPool();
  private final AtomicInteger downloadsRun = new AtomicInteger();

  @AfterEach
  void stop() throws Exception {
    pool.shutdownNow();
    assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
  }

  /** What a leading cold start's download does (it may wait on latches). */
  @FunctionalInterface
  private interface Body {
    String run(SharedDownloads.Settlement settled) throws IOException, InterruptedException;
  }

  /** A cold start of {@code revision} whose download, if it leads, runs {@code body}. */
  private CompletableFuture<String> coldStart(String revision, Body body) {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            return downloads.share(
                revision,
                settled -> {
                  downloadsRun.incrementAndGet();
                  try {
                    return body.run(settled);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException(e);
                  }
                },
                () -> "from the cache");
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        },
        pool);
  }

  @Test
  void coldStartsThatArriveDuringADownloadWaitForItAndDoNotDownloadAgain() throws Exception {
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch settle = new CountDownLatch(1);
    CountDownLatch finish = new CountDownLatch(1);
    CompletableFuture<String> leader =
        coldStart(
            "r1",
            settled -> {
              entered.countDown();
              settle.await();
              settled.run();
              finish.await();
              return "downloaded";
            });
    assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
    CompletableFuture<String> second = coldStart("r1", settled -> "downloaded again");
    CompletableFuture<String> third = coldStart("r1", settled -> "downloaded again");

    await().during(Duration.ofMillis(300)).until(() -> !second.isDone() && !third.isDone());
    settle.countDown();
    // Released once the leader has settled the download, while its own restore goes on.
    assertThat(second.get(10, TimeUnit.SECONDS)).isEqualTo("from the cache");
    assertThat(third.get(10, TimeUnit.SECONDS)).isEqualTo("from the cache");
    assertThat(leader).isNotDone();
    finish.countDown();
    assertThat(leader.get(10, TimeUnit.SECONDS)).isEqualTo("downloaded");
    assertThat(downloadsRun).hasValue(1);
  }

  @Test
  void aLeaderWhoseDownloadGoesOnAfterItsRestoreKeepsEveryoneWaitingUntilItEnds() throws Exception {
    CountDownLatch entered = new CountDownLatch(1);
    CompletableFuture<Void> fillEnds = new CompletableFuture<>();
    CompletableFuture<String> leader =
        coldStart(
            "r1",
            settled -> {
              entered.countDown();
              // A lazy restore: the guest answers now, its fill settles the entry later.
              fillEnds.thenRun(settled.deferred());
              return "restored lazily";
            });
    assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
    CompletableFuture<String> during = coldStart("r1", settled -> "downloaded again");
    assertThat(leader.get(10, TimeUnit.SECONDS)).isEqualTo("restored lazily");
    // Arrives after the leader's restore returned, while its fill goes on: waits for it too.
    CompletableFuture<String> after = coldStart("r1", settled -> "downloaded again");

    await().during(Duration.ofMillis(300)).until(() -> !during.isDone() && !after.isDone());
    fillEnds.complete(null);
    assertThat(during.get(10, TimeUnit.SECONDS)).isEqualTo("from the cache");
    assertThat(after.get(10, TimeUnit.SECONDS)).isEqualTo("from the cache");
    assertThat(downloadsRun).hasValue(1);
    // Settled: the next cold start (the cache missed it, say) leads a download of its own.
    assertThat(coldStart("r1", settled -> "downloaded again").get(10, TimeUnit.SECONDS))
        .isEqualTo("downloaded again");
  }

  @Test
  void theLeadersFailureIsTheFailureOfThoseThatWaitedForIt() throws Exception {
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch fail = new CountDownLatch(1);
    CompletableFuture<String> leader =
        coldStart(
            "r1",
            settled -> {
              entered.countDown();
              fail.await();
              throw new IOException("storage unreachable");
            });
    assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
    CompletableFuture<String> waiter = coldStart("r1", settled -> "downloaded again");
    await().during(Duration.ofMillis(300)).until(() -> !waiter.isDone());
    fail.countDown();

    for (CompletableFuture<String> f : List.of(leader, waiter)) {
      assertThatThrownBy(() -> f.get(10, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .hasRootCauseInstanceOf(IOException.class)
          .hasRootCauseMessage("storage unreachable");
    }
    assertThat(downloadsRun).hasValue(1);
  }

  @Test
  void aColdStartAfterADownloadEndedLeadsANewOne() throws Exception {
    assertThat(coldStart("r1", settled -> "first").get(10, TimeUnit.SECONDS)).isEqualTo("first");
    assertThatThrownBy(
            () ->
                coldStart(
                        "r1",
                        settled -> {
                          throw new IOException("failed");
                        })
                    .get(10, TimeUnit.SECONDS))
        .hasRootCauseInstanceOf(IOException.class);
    assertThat(coldStart("r1", settled -> "third").get(10, TimeUnit.SECONDS)).isEqualTo("third");
    assertThat(downloadsRun).hasValue(3);
  }

  @Test
  void downloadsOfDifferentRevisionsDoNotWaitForEachOther() throws Exception {
    CountDownLatch finish = new CountDownLatch(1);
    CompletableFuture<String> r1 =
        coldStart(
            "r1",
            settled -> {
              finish.await();
              return "r1";
            });
    assertThat(coldStart("r2", settled -> "r2").get(10, TimeUnit.SECONDS)).isEqualTo("r2");
    finish.countDown();
    assertThat(r1.get(10, TimeUnit.SECONDS)).isEqualTo("r1");
    assertThat(downloadsRun).hasValue(2);
  }
}
