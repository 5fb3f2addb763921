package dev.thaw.cli;

import dev.thaw.core.cache.CacheAdvertiser;
import dev.thaw.core.cache.CacheIndex;
import dev.thaw.node.LocalSnapshotCache;
import dev.thaw.qemu.QemuVmm;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;

/** Assembles a node's parts from command-line options. */
final class NodeSetup {
  private NodeSetup() {}

  /** Opens (and owns) the node's cache directory. */
  static LocalSnapshotCache openCache(NodeOptions node) throws IOException {
    return LocalSnapshotCache.open(
        node.cacheDir(),
        CacheIndex.builder().capacityBytes(node.cacheCapacityBytes()).build(),
        CacheAdvertiser.none(),
        QemuVmm.probe("qemu-system-x86_64", "tcg"),
        new SimpleMeterRegistry());
  }
}
