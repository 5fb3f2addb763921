package dev.thaw.node.agent;

import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.function.Revision;
import dev.thaw.node.logs.LogStore;
import dev.thaw.node.protocol.ImageDeployment;
import dev.thaw.node.protocol.Refused;
import dev.thaw.node.snapshot.SnapshotManager;
import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The functions a node runs, by revision, and what changing one undoes: a function replaced by a
 * different one loses its idle instances and its snapshot (both are of the old function), and a
 * function removed loses its instances, snapshot and logs, so that a function deployed later under
 * the same name starts afresh. A function that needs more memory than the node has is refused.
 */
final class FunctionRegistry {
  private static final Logger log = LoggerFactory.getLogger(FunctionRegistry.class);

  private final String node;
  private final long memoryBytes;
  private final Optional<ImageFunctions> images;
  private final InstancePool pool;
  private final SnapshotManager manager;
  private final Optional<LogStore> logs;
  private final Map<Revision, FunctionSpec> functions = new ConcurrentHashMap<>();

  FunctionRegistry(
      String node,
      long memoryBytes,
      Optional<ImageFunctions> images,
      InstancePool pool,
      SnapshotManager manager,
      Optional<LogStore> logs) {
    this.node = node;
    this.memoryBytes = memoryBytes;
    this.images = images;
    this.pool = pool;
    this.manager = manager;
    this.logs = logs;
  }

  /** See {@link NodeAgent#deploy(Revision, FunctionSpec)}. */
  void deploy(Revision revision, FunctionSpec function) {
    Objects.requireNonNull(revision);
    Objects.requireNonNull(function);
    if (function.memoryBytes() > memoryBytes) {
      throw new Refused(
          Refused.Kind.INVALID,
          "function "
              + function.id()
              + " needs "
              + function.memoryMib()
              + " MiB of memory; node "
              + node
              + " has "
              + (memoryBytes >> 20)
              + " MiB",
          null);
    }
    FunctionSpec before = functions.put(revision, function);
    if (before != null && !before.equals(function)) {
      // Idle instances run what was deployed before; busy ones stop when they answer. Its
      // snapshot is of that function too: a cold start of the new one must not restore it.
      pool.stopIdle(revision);
      try {
        manager.forget(revision);
      } catch (IOException e) {
        log.warn(
            "{} redeployed: its old snapshot could not be removed: {}", revision, e.getMessage());
      }
    }
  }

  /** See {@link NodeAgent#deploy(Revision, ImageDeployment)}. */
  FunctionSpec deploy(Revision revision, ImageDeployment deployment) {
    if (images.isEmpty()) {
      throw new Refused(
          Refused.Kind.INVALID,
          "node " + node + " runs no functions from images (it has no image cache)",
          null);
    }
    FunctionSpec function = images.get().resolve(revision, deployment);
    deploy(revision, function);
    return function;
  }

  /** See {@link NodeAgent#undeploy}. */
  boolean undeploy(Revision revision) {
    FunctionSpec was = functions.remove(revision);
    pool.stopIdle(revision);
    if (was != null) {
      logs.ifPresent(l -> l.delete(was.id()));
    }
    try {
      manager.forget(revision);
    } catch (IOException | RuntimeException e) {
      log.warn("could not remove the snapshot of {}: {}", revision, e.getMessage());
    }
    return was != null;
  }

  /** The function deployed as {@code revision}; empty when none is. */
  Optional<FunctionSpec> get(Revision revision) {
    return Optional.ofNullable(functions.get(revision));
  }

  /** Whether {@code function} is still what {@code revision} runs (not deleted or replaced). */
  boolean runs(Revision revision, FunctionSpec function) {
    return function.equals(functions.get(revision));
  }

  /** Deployed functions by revision name. */
  Map<String, FunctionSpec> all() {
    Map<String, FunctionSpec> out = new TreeMap<>();
    functions.forEach((r, f) -> out.put(r.value(), f));
    return out;
  }
}
