package dev.thaw.bench.load;

import dev.thaw.bench.MachineCpu;
import dev.thaw.bench.ProcessCpu;
import dev.thaw.core.function.Revision;
import dev.thaw.core.stats.LatencySummary;
import dev.thaw.node.gateway.Gateway;
import dev.thaw.node.protocol.AgentClient;
import dev.thaw.node.protocol.InstanceInfo;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The warm load of {@code thaw bench load}: warm instances of one function on a node, then the same
 * closed-loop load through the gateway and straight to the instances' guests, in slices that take
 * turns (gateway, direct, direct, gateway, and again), so that both paths share the machine's
 * changing load alike. Untimed slices come first, so that every path runs compiled code, as a
 * long-running gateway does; what the JIT compilers still spend during the timed slices is reported
 * apart ({@link LoadCpu}). It prints its progress as it goes.
 */
final class WarmLoad {
  /** Timed slices per path. */
  static final int SLICES = 4;

  /** How long each call of a warming wave holds its instance. */
  private static final int HOLD_MS = 300;

  /** One turn of the warm-up, per path. */
  static final Duration WARMUP_SLICE = Duration.ofSeconds(10);

  /** The JIT compilers' share of the gateway path's CPU at which the warm-up ends. */
  static final double JIT_SETTLED = 0.03;

  /** Clones restored at once at most while warming. */
  private static final int RAMP = 4;

  /** The gateway's row. */
  static final String GATEWAY = "gateway";

  /** The guests' row. */
  static final String DIRECT = "direct to guests";

  private final int clients;
  private final PrintStream out;
  private final MachineCpu cpu = MachineCpu.system();
  private final ProcessCpu own = ProcessCpu.self(LoadCpu.PARTS, LoadCpu::part);
  private final int cores = Runtime.getRuntime().availableProcessors();

  WarmLoad(int clients, PrintStream out) {
    this.clients = clients;
    this.out = out;
  }

  /**
   * Starts one instance of {@code revision} per client through {@code gateway} (a boot and a
   * snapshot first, then clones of it), and waits until each is idle.
   *
   * @return each instance's guest, as {@code agent} lists them
   */
  List<URI> warmInstances(Gateway gateway, AgentClient agent, Revision revision)
      throws IOException, InterruptedException {
    out.println("  starting the first instance (boot, snapshot, verified clone)…");
    invoke(gateway, revision);
    long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
    List<InstanceInfo> idle = awaitIdle(agent, 1, deadline);
    ExecutorService callers = Executors.newFixedThreadPool(clients);
    try {
      // Concurrent invocations hold instances at once, so the node starts more: each wave holds
      // every idle instance and asks for a few more, so that no more than RAMP clones restore at
      // once (many at once on a busy machine can miss the restore deadline). A quick answer may
      // free its instance early, so a wave may add fewer; so each call of a wave takes
      // HOLD_MS in the guest (the built-in handler's ms=), or the last instance waited for a wave
      // whose sixteen quick calls happened to overlap: about a hundred waves, a minute per run.
      for (int wave = 1; idle.size() < clients; wave++) {
        if (System.nanoTime() > deadline) {
          throw new IOException(
              "only " + idle.size() + " of " + clients + " instances within 5 minutes");
        }
        int calls = Math.min(clients, idle.size() + RAMP);
        out.printf(
            "  %d of %d instances warm; wave %d: %d invocations at once…%n",
            idle.size(), clients, wave, calls);
        List<Future<?>> running = new ArrayList<>();
        for (int i = 0; i < calls; i++) {
          running.add(callers.submit(() -> invoke(agent, revision)));
        }
        for (Future<?> f : running) {
          try {
            f.get();
          } catch (ExecutionException e) {
            throw new IOException("warming an instance failed: " + e.getCause(), e.getCause());
          }
        }
        idle = awaitIdle(agent, 1, deadline);
      }
    } finally {
      callers.shutdownNow();
    }
    out.printf("  %d instances warm%n", idle.size());
    return idle.stream().map(i -> URI.create(i.endpoint()).resolve("/")).toList();
  }

  /** The node's instances once none is busy and there are at least {@code n}. */
  private static List<InstanceInfo> awaitIdle(AgentClient agent, int n, long deadline)
      throws IOException, InterruptedException {
    while (true) {
      List<InstanceInfo> all = agent.instances();
      if (all.size() >= n && all.stream().noneMatch(InstanceInfo::busy)) {
        return all;
      }
      if (System.nanoTime() > deadline) {
        throw new IOException("no idle instances within 5 minutes: " + all);
      }
      Thread.sleep(100);
    }
  }

  private static Void invoke(AgentClient agent, Revision revision) throws IOException {
    AgentClient.Answer a = agent.invoke(revision, "/?ms=" + HOLD_MS, Duration.ofMinutes(3));
    if (a.status() != 200) {
      throw new IllegalStateException(revision + " answered " + a.status() + ": " + a.body());
    }
    return null;
  }

  private static Void invoke(Gateway gateway, Revision revision) {
    Gateway.Result r = gateway.invoke(revision, "/");
    if (r.status() != 200) {
      throw new IllegalStateException(revision + " answered " + r.status() + ": " + r.body());
    }
    return null;
  }

  /**
   * Runs the load on {@code http}: {@code warmup} per path untimed, then {@code length} per path in
   * {@link #SLICES} slices taking turns.
   *
   * @param gateway the function's address at the gateway
   * @param guests the instances' guests; client {@code i} calls guest {@code i % n}
   */
  WarmLoadFigures measure(
      HttpLoad http, URI gateway, List<URI> guests, Duration length, Duration warmup)
      throws InterruptedException {
    ClosedLoop.Exchange toGateway = http.get(List.of(gateway));
    ClosedLoop.Exchange toGuests = http.get(guests);
    warmUp(toGateway, toGuests, warmup);
    Duration slice = length.dividedBy(SLICES);
    LoadSample g = LoadSample.empty();
    LoadSample d = LoadSample.empty();
    long gBusy = 0;
    long dBusy = 0;
    Map<String, Double> gOwn = new LinkedHashMap<>();
    Map<String, Double> dOwn = new LinkedHashMap<>();
    // ABBA: each path goes first as often as second.
    String[] order = {GATEWAY, DIRECT, DIRECT, GATEWAY};
    for (int i = 0; i < 2 * SLICES; i++) {
      boolean toG = order[i % order.length].equals(GATEWAY);
      long b0 = cpu.busyMillis().orElse(0);
      ProcessCpu.Sample o0 = own.sample();
      LoadSample s = new ClosedLoop(clients, slice).run(toG ? toGateway : toGuests);
      long busy = cpu.busyMillis().orElse(0) - b0;
      Map<String, Double> ran = own.sample().millisSince(o0);
      report(
          String.format(Locale.ROOT, "[%d/%d] %s", i + 1, 2 * SLICES, toG ? GATEWAY : DIRECT), s);
      if (toG) {
        g = g.plus(s);
        gBusy += busy;
        ran.forEach((part, ms) -> gOwn.merge(part, ms, Double::sum));
      } else {
        d = d.plus(s);
        dBusy += busy;
        ran.forEach((part, ms) -> dOwn.merge(part, ms, Double::sum));
      }
    }
    return new WarmLoadFigures(
        clients,
        guests.size(),
        new PathLoad(GATEWAY, g, gBusy, gOwn, cores),
        new PathLoad(DIRECT, d, dBusy, dOwn, cores));
  }

  /**
   * Untimed load on both paths in turns of {@link #WARMUP_SLICE} each, until the JIT compilers (of
   * the gateway's JVM and of the agent) spend at most {@link #JIT_SETTLED} of the gateway path's
   * CPU or {@code limit} per path has passed. A long-running gateway and agent run compiled code;
   * on two busy cores the compilers, one thread among some twenty runnable ones, took minutes to
   * catch up: the gateway path's CPU per request fell from 5.9 ms after 20 s of warm-up to 4.6
   * after 150 s, the agent's compilers from 0.26 ms of it to none.
   */
  private void warmUp(ClosedLoop.Exchange toGateway, ClosedLoop.Exchange toGuests, Duration limit)
      throws InterruptedException {
    if (limit.isZero()) {
      return;
    }
    out.printf(
        Locale.ROOT,
        "  warm-up: until the JIT compilers take at most %.0f%% of the gateway path's CPU (at most"
            + " %d s per path)…%n",
        JIT_SETTLED * 100,
        limit.toSeconds());
    Duration spent = Duration.ZERO;
    for (int round = 1; ; round++) {
      Duration slice =
          WARMUP_SLICE.compareTo(limit.minus(spent)) < 0 ? WARMUP_SLICE : limit.minus(spent);
      ProcessCpu.Sample o0 = own.sample();
      LoadSample g = new ClosedLoop(clients, slice).run(toGateway);
      Map<String, Double> ran = own.sample().millisSince(o0);
      LoadSample d = new ClosedLoop(clients, slice).run(toGuests);
      spent = spent.plus(slice);
      double all = ran.values().stream().mapToDouble(Double::doubleValue).sum();
      double jit = ran.getOrDefault(LoadCpu.JIT, 0.0) + ran.getOrDefault(LoadCpu.AGENT_JIT, 0.0);
      double share = all > 0 ? jit / all : 0;
      out.printf(
          Locale.ROOT,
          "  warm-up %d (%d s per path): gateway %.0f req/s, direct %.0f req/s, %d errors; JIT"
              + " %.1f%% of the gateway path's CPU%n",
          round,
          spent.toSeconds(),
          g.throughput(),
          d.throughput(),
          g.errors() + d.errors(),
          share * 100);
      if (share <= JIT_SETTLED || spent.compareTo(limit) >= 0) {
        return;
      }
    }
  }

  private void report(String what, LoadSample s) {
    out.printf(
        Locale.ROOT,
        "  %s: %.0f req/s, p50 %.2f ms, %d errors%s%n",
        what,
        s.throughput(),
        s.ms().isEmpty() ? Double.NaN : LatencySummary.of(s.ms()).p50(),
        s.errors(),
        s.firstError().isEmpty() ? "" : " (" + s.firstError() + ")");
  }
}
