package dev.thaw.cli;

import dev.thaw.cli.SimulateCommand.SimulationPlan;
import dev.thaw.core.cache.EvictionPolicy;
import dev.thaw.core.config.ByteSize;
import dev.thaw.core.lifecycle.KeepAlivePolicy;
import dev.thaw.core.snapshot.SnapshotMode;
import dev.thaw.core.trace.MinuteRange;
import dev.thaw.core.trace.ReplayPlan;
import dev.thaw.core.trace.TraceFunction;
import dev.thaw.sim.Peers;
import dev.thaw.sim.SimConfig;
import dev.thaw.sim.SimModel;
import dev.thaw.sim.TraceRun;
import dev.thaw.sim.Workload;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Checks {@code thaw simulate}'s options, reads the model, the trace and (with {@code --against})
 * the bench run to reproduce, and lists the configurations to run. Option problems are reported all
 * together; nothing runs before every check passed.
 */
final class SimulationPlanner {
  private static final Set<String> DIMENSIONS =
      Set.of("placement", "eviction", "keep-alive", "prefetch");

  /** Beyond these a run is a typo, not an experiment: arrays per node and per instance slot. */
  static final int MOST_NODES = 1_000_000;

  static final int MOST_INSTANCES = 100_000;

  private final SimulateCommand o;
  private final Problems problems = new Problems();

  SimulationPlanner(SimulateCommand options) {
    this.o = options;
  }

  SimulationPlan plan() throws Refusal {
    TraceRun measured = o.against == null ? null : readAgainst();
    String minutes = measured != null ? measured.minutes() : o.replay.minutes;
    MinuteRange range =
        problems.parse("--minutes " + minutes, () -> MinuteRange.parse(minutes)).orElse(null);
    String spreadText = measured != null ? measured.spread() : o.replay.spread;
    ReplayPlan.Spread spread =
        problems.parse("--spread", () -> ReplayPlan.Spread.parse(spreadText)).orElse(null);
    if (o.functions < 0) {
      problems.add("--functions must be 0 (all) or more, not " + o.functions);
    }
    String modeText = measured != null ? measured.mode() : o.replay.mode.toString();
    SnapshotMode mode = problems.parse("--mode", () -> SnapshotMode.parse(modeText)).orElse(null);
    long cache = bytes("--cache-per-node", o.cachePerNode);
    if (o.nodes < 1 || o.nodes > MOST_NODES) {
      problems.add("--nodes must be within 1.." + MOST_NODES + ", not " + o.nodes);
    }
    if (o.maxInstances < 1 || o.maxInstances > MOST_INSTANCES) {
      problems.add(
          "--max-instances must be within 1.." + MOST_INSTANCES + ", not " + o.maxInstances);
    }
    problems.parse("--placement", o.replay.placement::scorer);
    problems.parse("--eviction", () -> EvictionPolicy.named(o.eviction));
    problems.parse(
        "--keep-alive", () -> KeepAlivePolicy.named(o.keepAlive, Duration.ofMinutes(10)));
    if (o.keepAliveWindow.isNegative() || o.keepAliveWindow.isZero()) {
      problems.add("--keep-alive-window must be positive, not " + o.keepAliveWindow);
    }
    if (o.prefetch == null
        || !Set.of("off", "predicted").contains(o.prefetch.toLowerCase(Locale.ROOT))) {
      problems.add("--prefetch must be off or predicted, not '" + o.prefetch + "'");
    }
    Set<String> compared = new LinkedHashSet<>();
    if (o.compare != null) {
      for (String d : o.compare.split(",")) {
        String dim = d.trim().toLowerCase(Locale.ROOT);
        if (!DIMENSIONS.contains(dim)) {
          problems.add(
              "--compare names placement, eviction, keep-alive or prefetch, not '" + d + "'");
        }
        compared.add(dim);
      }
    }
    for (int n : o.sweepNodes) {
      if (n < 1 || n > MOST_NODES) {
        problems.add("--sweep-nodes must each be within 1.." + MOST_NODES + ", not " + n);
      }
    }
    for (String s : o.sweepCache) {
      bytes("--sweep-cache", s);
    }
    Peers peers = peers(measured);
    if (o.coresPerNode != null && o.coresPerNode < 0) {
      problems.add("--cores-per-node must be 0 (no contention) or more, not " + o.coresPerNode);
    }
    SimModel model = null;
    try {
      model = SimModel.withBenchFiles(o.model);
    } catch (IllegalArgumentException e) {
      problems.add("--model " + e.getMessage());
    }
    List<SimConfig> configs = new ArrayList<>();
    if (mode != null && cache > 0 && model != null && problems.isEmpty()) {
      configs = withPeers(configs(measured, mode, cache, compared, model), peers);
    }
    Path trace = o.trace != null ? o.trace : measured != null ? Path.of(measured.trace()) : null;
    if (trace == null) {
      problems.add("--trace is required (a trace directory), unless --against names one");
    } else if (o.trace == null && !Files.isDirectory(trace)) {
      problems.add(
          "--against "
              + o.against
              + " replayed the trace "
              + trace
              + ", which is not here: give its directory with --trace");
    }
    problems.refuseIfAny();
    List<TraceFunction> all = TraceDirectory.read(trace);
    Workload workload;
    List<TraceFunction> functions;
    if (measured != null) {
      functions = ReplayPlan.sample(all, range, measured.functions(), measured.seed());
      if (functions.isEmpty()) {
        throw new Refusal("no invocations in minutes " + range + " of --trace " + trace);
      }
      ReplayPlan plan =
          ReplayPlan.of(
              functions,
              range.from(),
              range.to(),
              measured.minuteMillis(),
              spread,
              measured.seed());
      workload = Workload.of(plan, functions);
    } else {
      functions = o.functions == 0 ? all : ReplayPlan.sample(all, range, o.functions, o.seed);
      workload = Workload.streamed(functions, range.from(), range.to(), 60_000, spread);
    }
    return new SimulationPlan(trace, range, functions, workload, model, configs, measured);
  }

  private List<SimConfig> configs(
      TraceRun measured, SnapshotMode mode, long cache, Set<String> compared, SimModel model) {
    if (measured != null) {
      // The bench's agents all ran on one machine and shared its cores.
      int cores =
          o.coresPerNode != null
              ? o.coresPerNode
              : measured.cores() > 0 ? measured.cores() : model.cores();
      try {
        return List.of(
            SimConfig.builder()
                .nodes(measured.nodes())
                .cacheBytesPerNode(measured.cacheBytesPerNode())
                .instancesPerNode(measured.maxInstances())
                .placement(measured.placement())
                .keepAliveWindow(Duration.ofMillis(measured.keepAliveMs()))
                .mode(mode)
                .seed(measured.seed())
                .cores(cores, measured.nodes())
                .build());
      } catch (IllegalArgumentException e) {
        problems.add("--against " + o.against + ": " + e.getMessage());
        return List.of();
      }
    }
    List<String> placements =
        compared.contains("placement")
            ? List.of("default", "snapshot-aware")
            : List.of(o.replay.placement.toString());
    List<String> evictions =
        compared.contains("eviction") ? List.of("lru", "gdsf") : List.of(o.eviction);
    List<String> keepAlives =
        compared.contains("keep-alive") ? List.of("fixed", "hybrid") : List.of(o.keepAlive);
    boolean chosen = "predicted".equalsIgnoreCase(o.prefetch);
    List<Boolean> prefetches =
        compared.contains("prefetch") ? List.of(false, true) : List.of(chosen);
    List<SimConfig> out = new ArrayList<>();
    try {
      for (String p : placements) {
        for (String e : evictions) {
          for (String k : keepAlives) {
            for (boolean f : prefetches) {
              out.add(
                  SimConfig.builder()
                      .nodes(o.nodes)
                      .cacheBytesPerNode(cache)
                      .instancesPerNode(o.maxInstances)
                      .placement(p)
                      .eviction(e)
                      .keepAlive(k)
                      .keepAliveWindow(o.keepAliveWindow)
                      .prefetch(f)
                      .mode(mode)
                      .seed(o.seed)
                      .cores(o.coresPerNode != null ? o.coresPerNode : model.cores(), 1)
                      .build());
            }
          }
        }
      }
    } catch (IllegalArgumentException e) {
      problems.add(e.getMessage());
    }
    return out;
  }

  /** The peers of {@code --peers on} or {@code both}, or null when an option is wrong. */
  private Peers peers(TraceRun measured) {
    String p = o.peers == null ? "" : o.peers.trim().toLowerCase(Locale.ROOT);
    if (!Set.of("off", "on", "both").contains(p)) {
      problems.add("--peers must be off, on or both, not '" + o.peers + "'");
    } else if (measured != null && !p.equals("off")) {
      problems.add("--peers applies to a trace's run, not to --against (the bench ran none)");
    }
    try {
      return new Peers(!p.equals("off"), o.peerUploads, o.peersAsked, o.peerGbps * 1e9 / 8);
    } catch (IllegalArgumentException e) {
      problems.add("--peer-uploads, --peers-asked, --peer-gbps: " + e.getMessage());
      return null;
    }
  }

  /** Each configuration with {@code peers}, or (both) without then with them. */
  private List<SimConfig> withPeers(List<SimConfig> configs, Peers peers) {
    if (peers == null || !peers.enabled()) {
      return configs;
    }
    boolean both = o.peers.trim().equalsIgnoreCase("both");
    List<SimConfig> out = new ArrayList<>();
    for (SimConfig c : configs) {
      if (both) {
        out.add(c);
      }
      out.add(c.toBuilder().peers(peers).build());
    }
    return out;
  }

  private long bytes(String option, String text) {
    Optional<Long> b = problems.parse(option + " " + text, () -> ByteSize.parse(text));
    if (b.isPresent() && b.get() <= 0) {
      problems.add(option + " must be positive, not " + text);
    }
    return b.orElse(-1L);
  }

  private TraceRun readAgainst() throws Refusal {
    JsonNode doc;
    try {
      doc = JsonMapper.builder().build().readTree(Files.readString(o.against));
    } catch (NoSuchFileException e) {
      throw new Refusal("--against " + o.against + ": no such file");
    } catch (IOException e) {
      throw new Refusal("--against " + o.against + ": cannot be read: " + e.getMessage());
    } catch (JacksonException e) {
      throw new Refusal("--against " + o.against + ": not JSON (" + e.getOriginalMessage() + ")");
    }
    JsonNode run = doc.path("benchTrace");
    if (!run.isObject()) {
      throw new Refusal(
          "--against "
              + o.against
              + ": not the JSON of thaw bench trace --json (no \"benchTrace\" object)");
    }
    try {
      return JsonMapper.builder().build().treeToValue(run, TraceRun.class);
    } catch (JacksonException | IllegalArgumentException e) {
      throw new Refusal("--against " + o.against + ": " + e.getMessage());
    }
  }
}
