package dev.thaw.cli;

import dev.thaw.core.config.ByteSize;
import dev.thaw.core.placement.PlacementScorer;
import dev.thaw.core.snapshot.SnapshotMode;
import dev.thaw.core.trace.MinuteRange;
import dev.thaw.core.trace.ReplayPlan;
import dev.thaw.core.trace.TraceFunction;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Checks {@code thaw bench trace}'s options, reads the trace and plans the replay, before anything
 * starts: each problem is a {@link Refusal}. Option problems are reported all together; the trace
 * is read only when the options are good, and the plan must fit this machine's agents.
 */
final class TraceReplayPlanner {
  /** A pessimistic cold start (a boot under TCG) for the up-front capacity check. */
  private static final long COLD_START_MS = 8_000;

  /** A replay longer than this is refused: a typo in --time-scale, not an experiment. */
  static final Duration LONGEST_REPLAY = Duration.ofDays(7);

  /** More invocations than this are refused before they are planned (memory, not capacity). */
  static final long MOST_INVOCATIONS = 2_000_000;

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

  private final BenchTraceCommand o;
  private final Problems problems = new Problems();

  TraceReplayPlanner(BenchTraceCommand options) {
    this.o = options;
  }

  Prepared prepare() throws Refusal {
    if (o.functions < 1) {
      problems.add("--functions must be at least 1, not " + o.functions);
    }
    Optional<MinuteRange> range =
        problems.parse("--minutes " + o.replay.minutes, () -> MinuteRange.parse(o.replay.minutes));
    long minuteMillis = minuteMillis(range);
    Optional<ReplayPlan.Spread> spread =
        problems.parse("--spread", () -> ReplayPlan.Spread.parse(o.replay.spread));
    if (o.nodes < 1) {
      problems.add("--nodes must be at least 1, not " + o.nodes);
    }
    if (o.maxInstances < 1) {
      problems.add("--max-instances must be at least 1, not " + o.maxInstances);
    }
    Optional<SnapshotMode> mode = problems.parse("--mode", o.replay.mode::parse);
    Optional<PlacementScorer> scorer = problems.parse("--placement", o.replay.placement::scorer);
    if (o.keepAlive.isNegative()) {
      problems.add("--keep-alive must not be negative, not " + o.keepAlive);
    }
    Optional<Long> cache = problems.parse("--cache-per-node", () -> ByteSize.parse(o.cachePerNode));
    if (cache.isPresent() && cache.get() <= 0) {
      problems.add("--cache-per-node must be positive, not " + o.cachePerNode);
    }
    if (!List.of("off", "predicted", "both").contains(o.prefetch)) {
      problems.add("--prefetch must be off, predicted or both, not '" + o.prefetch + "'");
    } else if (!o.prefetch.equals("off") && mode.isPresent() && mode.get() != SnapshotMode.REMOTE) {
      problems.add(
          "--prefetch " + o.prefetch + " fetches from remote storage: it needs --mode remote");
    }
    if (o.prefetch.equals("both") && o.json.file != null) {
      // simulate --against replays one run's settings; two runs have no single JSON to compare.
      problems.add("--json records one replay: give --prefetch off or predicted with it");
    }
    outputProblem(o.out).ifPresent(problems::add);
    problems.refuseIfAny();
    List<TraceFunction> all = TraceDirectory.read(o.trace);
    List<TraceFunction> sample = sample(all, range.orElseThrow());
    ReplayPlan plan =
        ReplayPlan.of(
            sample,
            range.orElseThrow().from(),
            range.orElseThrow().to(),
            minuteMillis,
            spread.orElseThrow(),
            o.seed);
    int peak = plan.peakConcurrency(COLD_START_MS);
    long capacity = (long) o.nodes * o.maxInstances;
    if (peak > capacity) {
      throw new Refusal(
          String.format(
              Locale.ROOT,
              "this trace needs up to %d instances at once (if every invocation were a cold"
                  + " start), and %d nodes x %d instances run %d. Sample fewer functions"
                  + " (--functions), fewer minutes (--minutes), or replay slower (--time-scale).",
              peak,
              o.nodes,
              o.maxInstances,
              capacity));
    }
    return new Prepared(
        all.size(),
        sample,
        range.orElseThrow(),
        plan,
        peak,
        capacity,
        mode.orElseThrow(),
        scorer.orElseThrow());
  }

  /** How long a trace minute lasts at {@code --time-scale}; 0 with a problem when it cannot. */
  private long minuteMillis(Optional<MinuteRange> range) {
    double timeScale = o.timeScale;
    if (!(timeScale > 0) || Double.isInfinite(timeScale)) {
      problems.add("--time-scale must be a positive number, not " + timeScale);
      return 0;
    }
    long minuteMillis = Math.round(60_000 / timeScale);
    if (minuteMillis < 100) {
      problems.add(
          "--time-scale "
              + timeScale
              + " is too fast: a trace minute must last at least 100 ms (at most 600)");
    } else if (range.isPresent()
        && Duration.ofMillis(minuteMillis)
                .multipliedBy(range.get().length())
                .compareTo(LONGEST_REPLAY)
            > 0) {
      problems.add(
          String.format(
              Locale.ROOT,
              "--time-scale %s over minutes %s would replay for %.0f hours; at most %d",
              timeScale,
              range.get(),
              minuteMillis * (double) range.get().length() / 3_600_000,
              LONGEST_REPLAY.toHours()));
    }
    return minuteMillis;
  }

  /** The sampled functions, refused when they hold no invocation or too many to plan. */
  private List<TraceFunction> sample(List<TraceFunction> all, MinuteRange range) throws Refusal {
    List<TraceFunction> sample = ReplayPlan.sample(all, range, o.functions, o.seed);
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
    return sample;
  }

  /** Why {@code --out} cannot receive the results, if it cannot. */
  static Optional<String> outputProblem(Path out) {
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
}
