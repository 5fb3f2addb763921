package dev.thaw.cli;

import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.function.Revision;
import dev.thaw.core.trace.ReplayPlan;
import dev.thaw.core.trace.TraceFunction;
import dev.thaw.node.gateway.Gateway;
import dev.thaw.node.protocol.Refused;
import dev.thaw.node.protocol.Served;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** Sends a {@link ReplayPlan} through a gateway on time and records every invocation. */
final class TraceReplayer {
  /** One invocation's record: the per-invocation CSV's row. */
  record Record(
      String function,
      int invocation,
      int minute,
      long startMs,
      String start,
      String node,
      String source,
      long fetchMs,
      long startupMs,
      long durationMs,
      double responseMs,
      String error) {

    /** Latency the platform added: the response time less the function's own duration. */
    double initMs() {
      return Math.max(0, responseMs - durationMs);
    }
  }

  private TraceReplayer() {}

  /** The Thaw function a trace function maps to: its app's median memory, the hello handler. */
  static FunctionSpec functionFor(int index, TraceFunction f) {
    return new FunctionSpec(revision(index), f.guestMib(), 1, "hello", 0);
  }

  static String revision(int index) {
    return "trace-" + index;
  }

  static List<Record> run(ReplayPlan plan, Gateway gateway, PrintStream progress)
      throws InterruptedException {
    List<Record> records = Collections.synchronizedList(new ArrayList<>());
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
            Record r = invoke(gateway, i, id, t0);
            records.add(r);
            if (r.start().equals("cold")) {
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
    records.sort(java.util.Comparator.comparingInt(Record::invocation));
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

  private static Record invoke(Gateway gateway, ReplayPlan.Invocation i, int id, long t0) {
    long start = System.nanoTime();
    String revision = revision(i.function());
    try {
      Gateway.Result r = gateway.invoke(Revision.of(revision), "/?ms=" + i.durationMs());
      Served served = r.served();
      return new Record(
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
      return new Record(
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

  /** Writes {@code invocations.csv} and {@code minutes.csv} into {@code dir}. */
  static void write(List<Record> records, int minutes, Path dir) throws IOException {
    Files.createDirectories(dir);
    try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(dir.resolve("invocations.csv")))) {
      w.println(
          "function,invocation,minute,start_ms,start,node,source,fetch_ms,restore_or_boot_ms,"
              + "duration_ms,init_ms,response_ms,error");
      for (Record r : records) {
        w.printf(
            Locale.ROOT,
            "%s,%d,%d,%d,%s,%s,%s,%d,%d,%d,%.1f,%.1f,%s%n",
            r.function(),
            r.invocation(),
            r.minute(),
            r.startMs(),
            r.start(),
            r.node(),
            r.source(),
            r.fetchMs(),
            r.startupMs(),
            r.durationMs(),
            r.initMs(),
            r.responseMs(),
            Reports.csvField(r.error()));
      }
    }
    try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(dir.resolve("minutes.csv")))) {
      w.println("minute,invocations,cold_starts,errors,mean_response_ms");
      for (int m = 0; m < minutes; m++) {
        int minute = m;
        List<Record> in = records.stream().filter(r -> r.minute() == minute).toList();
        w.printf(
            Locale.ROOT,
            "%d,%d,%d,%d,%.1f%n",
            m,
            in.size(),
            in.stream().filter(r -> r.start().equals("cold")).count(),
            in.stream().filter(r -> !r.error().isEmpty()).count(),
            in.stream().mapToDouble(Record::responseMs).average().orElse(0));
      }
    }
  }
}
