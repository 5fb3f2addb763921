package dev.thaw.node.agent;

import dev.thaw.core.function.Revision;
import dev.thaw.core.placement.StartMedians;
import dev.thaw.node.snapshot.ColdStart;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What this node measured of each revision: its boots, local and remote restores, clones made after
 * a boot, and runs on running instances; each kind's median over its last {@link #KEPT} samples,
 * which the node reports for placement by expected time.
 */
final class StartTimes {
  /** Samples kept per revision and kind. */
  static final int KEPT = 15;

  /** What was measured. */
  enum Kind {
    BOOT,
    LOCAL,
    REMOTE,
    CLONE,
    RUN;

    static Kind of(ColdStart.Source source) {
      return switch (source) {
        case LOCAL -> LOCAL;
        case REMOTE -> REMOTE;
        case NONE -> BOOT;
      };
    }
  }

  private final Map<Revision, Map<Kind, Samples>> samples = new ConcurrentHashMap<>();

  void record(Revision revision, Kind kind, Duration took) {
    samples
        .computeIfAbsent(revision, r -> new ConcurrentHashMap<>())
        .computeIfAbsent(kind, k -> new Samples())
        .add(took.toMillis());
  }

  /** Each kind's median in milliseconds; a kind never measured is absent. */
  Map<Kind, Long> medians(Revision revision) {
    Map<Kind, Long> out = new EnumMap<>(Kind.class);
    samples.getOrDefault(revision, Map.of()).forEach((k, s) -> out.put(k, s.median()));
    return out;
  }

  /** The medians as placement reads them. */
  StartMedians startMedians(Revision revision) {
    Map<Kind, Long> m = medians(revision);
    return StartMedians.of(
        m.get(Kind.BOOT),
        m.get(Kind.LOCAL),
        m.get(Kind.REMOTE),
        m.get(Kind.CLONE),
        m.get(Kind.RUN));
  }

  Set<Revision> revisions() {
    return samples.keySet();
  }

  /** Forgets a revision no longer deployed. */
  void forget(Revision revision) {
    samples.remove(revision);
  }

  /** The last {@link #KEPT} samples of one kind, a ring. */
  private static final class Samples {
    private final long[] ms = new long[KEPT];
    private int count;

    synchronized void add(long value) {
      ms[count++ % KEPT] = value;
    }

    synchronized long median() {
      long[] sorted = Arrays.copyOf(ms, Math.min(count, KEPT));
      Arrays.sort(sorted);
      return sorted[sorted.length / 2];
    }
  }
}
