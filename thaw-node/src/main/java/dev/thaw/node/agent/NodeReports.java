package dev.thaw.node.agent;

import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.function.Revision;
import dev.thaw.node.logs.LogStore;
import dev.thaw.node.protocol.InstanceInfo;
import dev.thaw.node.protocol.LogLine;
import dev.thaw.node.protocol.LogQuery;
import dev.thaw.node.protocol.NodeStatus;
import dev.thaw.node.protocol.Refused;
import java.util.List;
import java.util.Optional;
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

  NodeReports(
      String node,
      int maxInstances,
      InstancePool pool,
      FunctionRegistry functions,
      Optional<LogStore> logs,
      BooleanSupplier closing) {
    this.node = node;
    this.maxInstances = maxInstances;
    this.pool = pool;
    this.functions = functions;
    this.logs = logs;
    this.closing = closing;
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
        Math.max(0, active - idleNow));
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
