package dev.thaw.node.agent;

import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.function.Revision;
import dev.thaw.core.snapshot.SnapshotMode;
import dev.thaw.node.logs.LogStore;
import dev.thaw.node.protocol.InstanceInfo;
import dev.thaw.node.protocol.LogLine;
import dev.thaw.node.protocol.LogQuery;
import dev.thaw.node.protocol.NodeStatus;
import dev.thaw.node.protocol.Refused;
import dev.thaw.node.protocol.RevisionLoad;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;

/**
 * What a node tells about itself: its status against its capacity, its instances, and the lines its
 * functions wrote. Read only: the gateway polls it, tools and tests read it.
 */
final class NodeReports {
  private final String node;
  private final int maxInstances;
  private final InstancePool pool;
  private final FunctionRegistry functions;
  private final Optional<LogStore> logs;
  private final BooleanSupplier closing;
  private final CloneWaits clones;
  private final StartTimes times;
  private final String snapshotMode;
  private final MadeManifests made;

  NodeReports(
      String node,
      int maxInstances,
      InstancePool pool,
      FunctionRegistry functions,
      Optional<LogStore> logs,
      BooleanSupplier closing,
      CloneWaits clones,
      StartTimes times,
      SnapshotMode snapshotMode,
      MadeManifests made) {
    this.node = node;
    this.maxInstances = maxInstances;
    this.pool = pool;
    this.functions = functions;
    this.logs = logs;
    this.closing = closing;
    this.clones = clones;
    this.times = times;
    this.snapshotMode = snapshotMode.name().toLowerCase(Locale.ROOT);
    this.made = made;
  }

  /** See {@link NodeAgent#status}. */
  NodeStatus status() {
    int active = pool.active();
    int idleNow = pool.idleCount();
    return new NodeStatus(
        closing.getAsBoolean() ? "stopping" : "ok",
        node,
        maxInstances,
        active,
        Math.max(0, active - idleNow),
        snapshotMode,
        revisions(),
        made.digests());
  }

  /**
   * Every revision with an instance, a clone in the making or a measurement here: what placement by
   * expected time reads.
   */
  private List<RevisionLoad> revisions() {
    Map<Revision, List<Long>> busy = pool.busyMs();
    Set<Revision> all = new TreeSet<>(Comparator.comparing(Revision::value));
    all.addAll(busy.keySet());
    all.addAll(clones.making());
    all.addAll(times.revisions());
    List<RevisionLoad> out = new ArrayList<>();
    for (Revision r : all) {
      Map<StartTimes.Kind, Long> m = times.medians(r);
      out.add(
          new RevisionLoad(
              r.value(),
              pool.idleCount(r),
              busy.getOrDefault(r, List.of()),
              clones.elapsedMs(r),
              clones.waiting(r),
              m.get(StartTimes.Kind.BOOT),
              m.get(StartTimes.Kind.LOCAL),
              m.get(StartTimes.Kind.REMOTE),
              m.get(StartTimes.Kind.CLONE),
              m.get(StartTimes.Kind.RUN)));
    }
    return out;
  }

  List<InstanceInfo> instances() {
    return pool.infos();
  }

  /** See {@link NodeAgent#logs}. */
  List<LogLine> logs(Revision revision, LogQuery query) {
    FunctionSpec function =
        functions
            .get(revision)
            .orElseThrow(
                () ->
                    new Refused(
                        Refused.Kind.UNKNOWN_REVISION,
                        "no function " + revision + " on " + node,
                        null));
    return logs.map(l -> l.read(function.id(), query)).orElse(List.of());
  }
}
