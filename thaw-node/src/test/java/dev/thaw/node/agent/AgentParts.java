package dev.thaw.node.agent;

import dev.thaw.core.lifecycle.KeepAlivePolicy;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotMode;
import dev.thaw.core.vmm.FakeVmm;
import dev.thaw.node.snapshot.SnapshotNode;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A node's registry, pool and invocation path over a fake VMM without snapshots, wired as {@link
 * NodeAgent} wires them, for tests of each part without HTTP.
 */
final class AgentParts implements AutoCloseable {
  private static final SnapshotManifest.Guest GUEST =
      new SnapshotManifest.Guest("a".repeat(64), "b".repeat(64));

  final FakeVmm vmm = new FakeVmm();
  final SnapshotNode node;
  final InstancePool pool;
  final FunctionRegistry functions;
  final Invoker invoker;
  final AtomicBoolean closing = new AtomicBoolean();

  AgentParts(Path dir, int capacity, long memoryBytes) throws IOException {
    node =
        SnapshotNode.builder(vmm, GUEST, dir).manager(b -> b.mode(SnapshotMode.DISABLED)).build();
    pool = new InstancePool("n1", capacity, System::nanoTime);
    functions =
        new FunctionRegistry(
            "n1", memoryBytes, Optional.empty(), pool, node.manager(), Optional.empty());
    invoker =
        new Invoker(
            "n1",
            capacity,
            functions,
            pool,
            new KeepAlives(KeepAlivePolicy.fixed(Duration.ofSeconds(60)), System::nanoTime),
            node.manager(),
            closing::get,
            new CloneWaits(System::nanoTime),
            new StartTimes(),
            Prefetches.OFF,
            new MadeManifests());
  }

  @Override
  public void close() throws IOException {
    pool.stopAll();
    node.close();
  }
}
