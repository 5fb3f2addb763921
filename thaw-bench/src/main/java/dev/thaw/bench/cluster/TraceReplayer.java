package dev.thaw.bench.cluster;

import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.function.Revision;
import dev.thaw.core.trace.ReplayPlan;
import dev.thaw.core.trace.TraceFunction;
import dev.thaw.node.gateway.Gateway;
import dev.thaw.node.protocol.Refused;
import dev.thaw.node.protocol.Served;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Sends a {@link ReplayPlan} through a gateway on time and records every invocation, printing its
 * progress once a second. Each invocation goes out on its own thread at its planned time, so a slow
 * cold start delays no other invocation.
 */
public final class TraceReplayer {
  private TraceReplayer() {}

  /** The Thaw function a trace function maps to: its app's median memory, the hello handler. */
  public static FunctionSpec functionFor(int index, TraceFunction f) {
    return new FunctionSpec(revision(index), f.guestMib(), 1, "hello", 0);
  }

  /** The revision the {@code index}-th sampled function is deployed as. */
  public static String revision(int index) {
    return "trace-" + index;
  }

  /**
   * Replays {@code plan} through {@code gateway}, each function deployed as {@link #revision(int)}
   * beforehand.
   *
   * @return every invocation, in the order they were sent
   */
  public static List<ReplayedInvocation> run(ReplayPlan plan, Gateway gateway, PrintStream progress)
      throws InterruptedException {
    List<ReplayedInvocation> records = Collections.synchronizedList(new ArrayList<>());
    ExecutorService workers = Executors.newCachedThreadPool();
    AtomicInteger done = new AtomicInteger();
    AtomicInteger cold = new AtomicInteger();
    int total = plan.invocations().size();
    long t0 = System.nanoTime();
    long lastReport = 0;
    int sent = 0;
    for (ReplayPlan.Invocation i : plan.invocations()) {
      while (true) {
        long now = (System.nanoTime() - t0) / 1_000_000;
        if (now - lastReport >= 1000) {
          lastReport = now;
          report(progress, done.get(), total, now, cold.get());
        }
        if (now >= i.atMillis()) {
          break;
        }
        Thread.sleep(Math.min(50, i.atMillis() - now));
      }
      int id = sent++;
      workers.execute(
          () -> {
            ReplayedInvocation r = invoke(gateway, i, id, t0);
            records.add(r);
            if (r.cold()) {
              cold.incrementAndGet();
            }
            done.incrementAndGet();
          });
    }
    workers.shutdown();
    while (!workers.awaitTermination(1, TimeUnit.SECONDS)) {
      report(progress, done.get(), total, (System.nanoTime() - t0) / 1_000_000, cold.get());
    }
    report(progress, done.get(), total, (System.nanoTime() - t0) / 1_000_000, cold.get());
    records.sort(Comparator.comparingInt(ReplayedInvocation::invocation));
    return records;
  }

  private static void report(PrintStream out, int done, int total, long ms, int cold) {
    out.printf(
        Locale.ROOT,
        "  replay: %d/%d invocations, %.0f s elapsed, %d cold starts%n",
        done,
        total,
        ms / 1000.0,
        cold);
  }

  private static ReplayedInvocation invoke(
      Gateway gateway, ReplayPlan.Invocation i, int id, long t0) {
    long start = System.nanoTime();
    String revision = revision(i.function());
    try {
      Gateway.Result r = gateway.invoke(Revision.of(revision), "/?ms=" + i.durationMs());
      Served served = r.served();
      return new ReplayedInvocation(
          revision,
          id,
          i.minute(),
          (start - t0) / 1_000_000,
          served.start(),
          r.node(),
          served.source(),
          served.coldStart().map(x -> x.fetch().toMillis()).orElse(0L),
          served.coldStart().map(x -> x.startup().toMillis()).orElse(0L),
          i.durationMs(),
          (System.nanoTime() - start) / 1e6,
          r.status() == 200 ? "" : "status " + r.status());
    } catch (Refused e) {
      return new ReplayedInvocation(
          revision,
          id,
          i.minute(),
          (start - t0) / 1_000_000,
          "",
          "",
          "",
          0,
          0,
          i.durationMs(),
          (System.nanoTime() - start) / 1e6,
          e.getMessage().replace(',', ';'));
    }
  }
}
