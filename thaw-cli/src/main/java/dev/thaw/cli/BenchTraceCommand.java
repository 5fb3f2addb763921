package dev.thaw.cli;

import dev.thaw.bench.LatencyReport;
import dev.thaw.core.function.Revision;
import dev.thaw.core.io.FileTrees;
import dev.thaw.core.placement.PlacementScorer;
import dev.thaw.core.snapshot.SnapshotMode;
import dev.thaw.core.stats.LatencySummary;
import dev.thaw.core.trace.AzureTrace;
import dev.thaw.core.trace.MinuteRange;
import dev.thaw.core.trace.ReplayPlan;
import dev.thaw.core.trace.TraceFormatException;
import dev.thaw.core.trace.TraceFunction;
import dev.thaw.http.BearerToken;
import dev.thaw.node.gateway.Gateway;
import dev.thaw.qemu.GuestImage;
import dev.thaw.sim.TraceRun;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code thaw bench trace}: replays an Azure Functions trace against a local cluster. */
@Command(
    name = "trace",
    mixinStandardHelpOptions = true,
    description = {
      "Replays an Azure Functions 2019 trace against agents and a gateway on this machine.",
      "Writes per-invocation and per-minute CSV files and a report with plots.",
      "Every option and the trace are checked before anything starts: each problem is one",
      "line on stderr ('refused: ...') and the exit status is 2."
    })
final class BenchTraceCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  /** A pessimistic cold start (a boot under TCG) for the up-front capacity check. */
  private static final long COLD_START_MS = 8_000;

  @Option(
      names = "--trace",
      required = true,
      description = "Directory holding the trace's CSV files.")
  Path trace;

  @Option(
      names = "--functions",
      defaultValue = "4",
      description = "Functions sampled from the trace (default: ${DEFAULT-VALUE}).")
  int functions;

  @Option(
      names = "--minutes",
      defaultValue = "0-2",
      description = "Trace minutes to replay, FROM-TO, TO excluded (default: ${DEFAULT-VALUE}).")
  String minutes;

  @Option(
      names = "--time-scale",
      defaultValue = "6",
      description = "Replay this many times faster than real time (default: ${DEFAULT-VALUE}).")
  double timeScale;

  @Option(
      names = "--spread",
      defaultValue = "exponential",
      description =
          "Arrivals within a minute: exponential, uniform, equidistant (default: ${DEFAULT-VALUE}).")
  String spread;

  @Option(
      names = "--nodes",
      defaultValue = "2",
      description = "Node agents (default: ${DEFAULT-VALUE}).")
  int nodes;

  @Option(
      names = "--max-instances",
      defaultValue = "6",
      description = "Instances per node (default: ${DEFAULT-VALUE}).")
  int maxInstances;

  @Option(
      names = "--mode",
      defaultValue = "remote",
      description = "Snapshot mode of the agents (default: ${DEFAULT-VALUE}).")
  String mode;

  @Option(
      names = "--placement",
      defaultValue = "snapshot-aware",
      description = "default or snapshot-aware (default: ${DEFAULT-VALUE}).")
  String placement;

  @Option(
      names = "--keep-alive",
      defaultValue = "60s",
      converter = DurationConverter.class,
      description = "Agents' keep-alive (default: ${DEFAULT-VALUE}).")
  Duration keepAlive;

  @Option(
      names = "--seed",
      defaultValue = "1",
      description = "Seed of sampling and arrivals (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--out",
      defaultValue = "thaw-trace-results",
      description = "Directory for the CSV files (default: ${DEFAULT-VALUE}).")
  Path out;

  @Mixin JsonOutput json;

  @Option(
      names = "--dry-run",
      description =
          "Check the options and the trace, print the plan, and stop: nothing is started.")
  boolean dryRun;

  /** A replay longer than this is refused: a typo in --time-scale, not an experiment. */
  static final Duration LONGEST_REPLAY = Duration.ofDays(7);

  /** More invocations than this are refused before they are planned (memory, not capacity). */
  static final long MOST_INVOCATIONS = 2_000_000;

  /** A problem with the options or the trace, said in one line. */
  static final class Refusal extends Exception {
    private static final long serialVersionUID = 1L;

    Refusal(String message) {
      super(message);
    }
  }

  /** Everything a replay needs, checked: nothing started yet. */
  record Prepared(
      int functionsInTrace,
      List<TraceFunction> sample,
      MinuteRange minutes,
      ReplayPlan plan,
      int peak,
      long capacity,
      SnapshotMode mode,
      PlacementScorer scorer) {}

  @Override
  public Integer call() throws Exception {
    Prepared p;
    try {
      p = prepare();
    } catch (Refusal r) {
      // One line per problem and exit status 2, as picocli does for usage errors; no stack trace.
      for (String line : r.getMessage().split("\n")) {
        System.err.println("refused: " + line);
      }
      return 2;
    }
    System.out.printf(
        Locale.ROOT,
        "thaw bench trace: %d of %d functions, minutes %s at %.1fx, %d invocations, peak %d"
            + " instances of %d%n",
        p.sample().size(),
        p.functionsInTrace(),
        p.minutes(),
        timeScale,
        p.plan().invocations().size(),
        p.peak(),
        p.capacity());
    if (dryRun) {
      System.out.println("dry run: the options and the trace are valid; nothing was started");
      return 0;
    }
    return replay(p);
  }

  /**
   * Checks every option, then reads the trace and plans the replay: any problem is a {@link
   * Refusal} before anything starts. Option problems are all reported together.
   */
  Prepared prepare() throws Refusal {
    List<String> problems = new ArrayList<>();
    if (functions < 1) {
      problems.add("--functions must be at least 1, not " + functions);
    }
    MinuteRange range = null;
    try {
      range = MinuteRange.parse(minutes);
    } catch (IllegalArgumentException e) {
      problems.add("--minutes " + minutes + ": " + e.getMessage());
    }
    long minuteMillis = 0;
    if (!(timeScale > 0) || Double.isInfinite(timeScale)) {
      problems.add("--time-scale must be a positive number, not " + timeScale);
    } else {
      minuteMillis = Math.round(60_000 / timeScale);
      if (minuteMillis < 100) {
        problems.add(
            "--time-scale "
                + timeScale
                + " is too fast: a trace minute must last at least 100 ms (at most 600)");
      } else if (range != null
          && Duration.ofMillis(minuteMillis).multipliedBy(range.length()).compareTo(LONGEST_REPLAY)
              > 0) {
        problems.add(
            String.format(
                Locale.ROOT,
                "--time-scale %s over minutes %s would replay for %.0f hours; at most %d",
                timeScale,
                range,
                minuteMillis * (double) range.length() / 3_600_000,
                LONGEST_REPLAY.toHours()));
      }
    }
    ReplayPlan.Spread spreadKind = null;
    try {
      spreadKind = ReplayPlan.Spread.parse(spread);
    } catch (IllegalArgumentException e) {
      problems.add("--spread: " + e.getMessage());
    }
    if (nodes < 1) {
      problems.add("--nodes must be at least 1, not " + nodes);
    }
    if (maxInstances < 1) {
      problems.add("--max-instances must be at least 1, not " + maxInstances);
    }
    SnapshotMode snapshotMode = null;
    try {
      snapshotMode = SnapshotMode.parse(mode);
    } catch (IllegalArgumentException e) {
      problems.add("--mode: " + e.getMessage());
    }
    PlacementScorer scorer = null;
    try {
      scorer = PlacementScorer.named(placement);
    } catch (IllegalArgumentException e) {
      problems.add("--placement: " + e.getMessage());
    }
    if (keepAlive.isNegative()) {
      problems.add("--keep-alive must not be negative, not " + keepAlive);
    }
    outputProblem().ifPresent(problems::add);
    if (!problems.isEmpty()) {
      throw new Refusal(String.join("\n", problems));
    }

    List<TraceFunction> all;
    try {
      all = AzureTrace.read(trace);
    } catch (TraceFormatException e) {
      throw new Refusal("--trace " + trace + ": " + e.getMessage());
    } catch (NoSuchFileException e) {
      throw new Refusal(
          "--trace "
              + trace
              + ": "
              + (e.getReason() != null ? e.getReason() : "no such file: " + e.getFile()));
    } catch (IOException | UncheckedIOException e) {
      throw new Refusal("--trace " + trace + ": " + e.getMessage());
    }
    if (all.isEmpty()) {
      throw new Refusal(
          "--trace " + trace + ": no function has both invocation counts and durations");
    }
    List<TraceFunction> sample = ReplayPlan.sample(all, range, functions, seed);
    if (sample.isEmpty()) {
      throw new Refusal(
          "no invocations in minutes "
              + range
              + " of the trace's "
              + all.size()
              + " functions: choose other minutes (--minutes)");
    }
    long invocations = 0;
    for (TraceFunction f : sample) {
      for (int m = range.from(); m < range.to(); m++) {
        invocations += f.perMinute()[m];
      }
    }
    if (invocations > MOST_INVOCATIONS) {
      throw new Refusal(
          String.format(
              Locale.ROOT,
              "minutes %s of the %d sampled functions hold %d invocations; a replay on this"
                  + " machine plans at most %d: sample fewer functions (--functions) or minutes"
                  + " (--minutes)",
              range,
              sample.size(),
              invocations,
              MOST_INVOCATIONS));
    }
    ReplayPlan plan =
        ReplayPlan.of(sample, range.from(), range.to(), minuteMillis, spreadKind, seed);
    int peak = plan.peakConcurrency(COLD_START_MS);
    long capacity = (long) nodes * maxInstances;
    if (peak > capacity) {
      throw new Refusal(
          String.format(
              Locale.ROOT,
              "this trace needs up to %d instances at once (if every invocation were a cold"
                  + " start), and %d nodes x %d instances run %d. Sample fewer functions"
                  + " (--functions), fewer minutes (--minutes), or replay slower (--time-scale).",
              peak,
              nodes,
              maxInstances,
              capacity));
    }
    return new Prepared(all.size(), sample, range, plan, peak, capacity, snapshotMode, scorer);
  }

  /** Why {@code --out} cannot receive the results, if it cannot. */
  private Optional<String> outputProblem() {
    Path target = out.toAbsolutePath();
    if (Files.exists(target)) {
      if (!Files.isDirectory(target)) {
        return Optional.of("--out " + out + " is a file, not a directory");
      }
      return Files.isWritable(target)
          ? Optional.empty()
          : Optional.of("--out " + out + " is not writable");
    }
    Path parent = target.getParent();
    while (parent != null && !Files.exists(parent)) {
      parent = parent.getParent();
    }
    if (parent == null || !Files.isDirectory(parent)) {
      return Optional.of("--out " + out + " cannot be created: " + parent + " is not a directory");
    }
    return Files.isWritable(parent)
        ? Optional.empty()
        : Optional.of("--out " + out + " cannot be created: " + parent + " is not writable");
  }

  private int replay(Prepared p) throws Exception {
    GuestImage.ensure(System.out::println);
    Path root = Files.createTempDirectory("thaw-trace-");
    // Ctrl-C runs shutdown hooks, not finally blocks: the hook removes the directory then.
    Thread cleanup = new Thread(() -> FileTrees.deleteQuietly(root), "thaw-trace-cleanup");
    Runtime.getRuntime().addShutdownHook(cleanup);
    List<TraceFunction> sample = p.sample();
    // The agents live as long as this run: a token of the run's own, never written down.
    BearerToken token = BearerToken.generate();
    try (S3Options.Remote s3 = S3Options.embedded(root.resolve("s3"));
        LocalCluster cluster =
            LocalCluster.start(
                new LocalCluster.Config(
                    nodes,
                    root,
                    p.mode(),
                    true,
                    s3.endpoint(),
                    s3.credentials(),
                    keepAlive,
                    maxInstances,
                    token))) {
      Gateway.Builder b = Gateway.builder().token(token).scorer(p.scorer()).seed(seed);
      cluster.agents().forEach(b::node);
      try (Gateway gateway = b.build()) {
        for (int i = 0; i < sample.size(); i++) {
          gateway.deploy(
              Revision.of(TraceReplayer.revision(i)), TraceReplayer.functionFor(i, sample.get(i)));
        }
        List<TraceReplayer.Record> records = TraceReplayer.run(p.plan(), gateway, System.out);
        TraceReplayer.write(records, p.plan().minutes(), out);
        summarize(records);
        TraceRun run = traceRun(p, records);
        json.write(doc -> doc.put("benchTrace", run), System.out);
        LatencyReport report =
            new LatencyReport("thaw bench trace: response time")
                .provenance(Reports.provenance(spec, out.resolve("invocations.csv")));
        for (String kind : List.of("cold", "warm")) {
          report.add(
              kind + " starts",
              records.stream()
                  .filter(r -> r.start().equals(kind))
                  .map(TraceReplayer.Record::responseMs)
                  .toList());
        }
        System.out.println("report with plots: " + report.write(out));
      }
    } finally {
      FileTrees.deleteQuietly(root);
      try {
        Runtime.getRuntime().removeShutdownHook(cleanup);
      } catch (IllegalStateException shuttingDown) {
        // The hook runs (or ran) anyway.
      }
    }
    System.out.println(
        "results: " + out.resolve("invocations.csv") + ", " + out.resolve("minutes.csv"));
    return 0;
  }

  /** What {@code --json} writes: the options of this replay and the starts the agents reported. */
  private TraceRun traceRun(Prepared p, List<TraceReplayer.Record> records) {
    long warm = 0;
    long local = 0;
    long remote = 0;
    long boots = 0;
    long errors = 0;
    for (TraceReplayer.Record r : records) {
      if (!r.error().isEmpty()) {
        errors++;
      } else if (r.start().equals("warm")) {
        warm++;
      } else if (r.source().equals("local")) {
        local++;
      } else if (r.source().equals("remote")) {
        remote++;
      } else {
        boots++;
      }
    }
    return new TraceRun(
        // As given: a path of this machine has no place in results that are shared.
        trace.toString(),
        functions,
        p.minutes().toString(),
        p.plan().minuteMillis(),
        spread,
        nodes,
        maxInstances,
        mode,
        placement,
        keepAlive.toMillis(),
        // The agents get no --cache-capacity: theirs comes from the environment, else 10 GiB.
        dev.thaw.core.config.ByteSize.parse(
            java.util.Objects.requireNonNullElse(System.getenv("THAW_CACHE_CAPACITY"), "10GiB")),
        seed,
        new TraceRun.StartCounts(records.size(), warm, local, remote, boots, errors),
        // Every agent runs on this machine: their starts share its cores.
        Runtime.getRuntime().availableProcessors());
  }

  private static void summarize(List<TraceReplayer.Record> records) {
    for (String kind : List.of("cold", "warm")) {
      List<Double> ms =
          records.stream()
              .filter(r -> r.start().equals(kind))
              .map(TraceReplayer.Record::initMs)
              .toList();
      if (!ms.isEmpty()) {
        LatencySummary s = LatencySummary.of(ms);
        System.out.printf(
            "%s: %d invocations, added latency p50 %.0f ms, p90 %.0f ms, p99 %.0f ms%n",
            kind, s.count(), s.p50(), s.p90(), s.p99());
      }
    }
    long errors = records.stream().filter(r -> !r.error().isEmpty()).count();
    if (errors > 0) {
      System.out.println("errors: " + errors + " (see invocations.csv)");
    }
  }
}
