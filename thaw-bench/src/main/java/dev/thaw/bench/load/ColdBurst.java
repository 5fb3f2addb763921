package dev.thaw.bench.load;

import dev.thaw.core.snapshot.VariantSnapshotStore;
import dev.thaw.node.protocol.AgentClient;
import dev.thaw.node.protocol.Served;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.eclipse.jetty.client.ContentResponse;

/**
 * The cold burst of {@code thaw bench load}: concurrent requests through the gateway, all released
 * at once, to a function that has no instance on any node; then what each node's metrics say it
 * fetched from remote storage meanwhile. It prints where each answer came from.
 */
final class ColdBurst {
  /** How long one request of the burst may take: a queue, then a restore under load. */
  static final Duration TIMEOUT = Duration.ofMinutes(2);

  private final PrintStream out;

  ColdBurst(PrintStream out) {
    this.out = out;
  }

  /**
   * Sends {@code requests} requests to {@code function} (the function's address at the gateway) at
   * once, on {@code nodes}' cluster of {@code slots} slots each.
   */
  BurstFigures run(
      HttpLoad http,
      URI function,
      String revision,
      Map<String, AgentClient> nodes,
      int requests,
      int slots)
      throws IOException, InterruptedException {
    Map<String, String> before = metrics(nodes);
    ExecutorService callers = Executors.newFixedThreadPool(requests);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<Answer>> calls = new ArrayList<>();
    try {
      for (int i = 0; i < requests; i++) {
        calls.add(callers.submit(() -> call(http, function, go)));
      }
      go.countDown();
      List<Double> ms = new ArrayList<>();
      String firstError = "";
      Map<String, Integer> tally = new TreeMap<>();
      for (Future<Answer> f : calls) {
        Answer a;
        try {
          a = f.get();
        } catch (ExecutionException e) {
          a = new Answer(0, 0, Optional.empty(), String.valueOf(e.getCause()));
        }
        if (a.status() == 200) {
          ms.add(a.ms());
          a.served()
              .ifPresent(
                  s ->
                      tally.merge(
                          s.node() + " " + s.start() + (s.cold() ? " from " + s.source() : ""),
                          1,
                          Integer::sum));
        } else if (firstError.isEmpty()) {
          firstError = a.error();
        }
      }
      tally.forEach((k, n) -> out.printf("  %s: %d%n", k, n));
      awaitCached(nodes, revision);
      Map<String, String> after = metrics(nodes);
      Map<String, Long> fetches = new LinkedHashMap<>();
      Map<String, BurstFigures.Starts> starts = new LinkedHashMap<>();
      for (String node : nodes.keySet()) {
        fetches.put(node, delta(before, after, node, AgentMetrics.FETCHES, ""));
        starts.put(
            node,
            new BurstFigures.Starts(
                delta(before, after, node, AgentMetrics.COLD_STARTS, "source=\"remote\""),
                delta(before, after, node, AgentMetrics.COLD_STARTS, "source=\"none\""),
                delta(before, after, node, AgentMetrics.DEAD, ""),
                delta(before, after, node, AgentMetrics.TOO_SLOW, "")));
      }
      return new BurstFigures(requests, slots, ms, firstError, fetches, starts);
    } finally {
      callers.shutdownNow();
    }
  }

  /** One request's outcome: its status and time, where it ran, or what went wrong. */
  private record Answer(int status, double ms, Optional<Served> served, String error) {}

  private static Answer call(HttpLoad http, URI function, CountDownLatch go) throws Exception {
    go.await();
    long t0 = System.nanoTime();
    ContentResponse r = http.send(function, TIMEOUT);
    double ms = (System.nanoTime() - t0) / 1e6;
    if (r.getStatus() != 200) {
      return new Answer(
          r.getStatus(), ms, Optional.empty(), r.getStatus() + ": " + r.getContentAsString());
    }
    Optional<Served> served;
    try {
      served = Optional.of(Served.readFrom(h -> Optional.ofNullable(r.getHeaders().get(h))));
    } catch (IllegalArgumentException e) {
      served = Optional.empty();
    }
    return new Answer(200, ms, served, "");
  }

  /**
   * Waits (2 minutes at most) until every node that restored the function from remote storage has
   * it in its cache: a lazy restore's fetch goes on behind the guest's first answer, and is counted
   * once it completes.
   */
  private void awaitCached(Map<String, AgentClient> nodes, String revision)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    for (var e : nodes.entrySet()) {
      while (!e.getValue().instances().isEmpty()
          && e.getValue().snapshots().stream()
              .noneMatch(r -> VariantSnapshotStore.isOf(r, revision))) {
        if (System.nanoTime() > deadline) {
          out.printf("  %s has not cached %s after 2 minutes%n", e.getKey(), revision);
          return;
        }
        Thread.sleep(200);
      }
    }
  }

  private static Map<String, String> metrics(Map<String, AgentClient> nodes) throws IOException {
    Map<String, String> m = new LinkedHashMap<>();
    for (var e : nodes.entrySet()) {
      m.put(e.getKey(), e.getValue().metrics());
    }
    return m;
  }

  private static long delta(
      Map<String, String> before,
      Map<String, String> after,
      String node,
      String metric,
      String label) {
    return AgentMetrics.sum(after.get(node), metric, label)
        - AgentMetrics.sum(before.get(node), metric, label);
  }
}
