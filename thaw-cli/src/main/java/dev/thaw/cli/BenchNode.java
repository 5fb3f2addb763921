package dev.thaw.cli;

import dev.thaw.core.cache.CacheAdvertiser;
import dev.thaw.core.cache.CacheIndex;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.node.snapshot.LocalSnapshotCache;
import dev.thaw.node.snapshot.SnapshotManager;
import dev.thaw.qemu.QemuVmm;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.util.function.UnaryOperator;

/** One node of a benchmark: its own 4 GiB cache directory and snapshot manager. */
final class BenchNode implements AutoCloseable {
  final LocalSnapshotCache cache;
  final SnapshotManager manager;

  /**
   * @param configure sets what differs between the benchmark's nodes (mode, remote store…) on a
   *     builder that has the VMM, cache, guest, scratch space and meters
   */
  BenchNode(
      Path root,
      String name,
      QemuVmm vmm,
      SnapshotManifest.Guest guest,
      UnaryOperator<SnapshotManager.Builder> configure)
      throws Exception {
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    cache =
        LocalSnapshotCache.open(
            root.resolve(name),
            CacheIndex.builder().capacityBytes(4L << 30).build(),
            CacheAdvertiser.none(),
            vmm.identity(),
            meters);
    manager =
        configure
            .apply(
                SnapshotManager.builder()
                    .vmm(vmm)
                    .cache(cache)
                    .guest(guest)
                    .scratch(root.resolve(name + "-scratch"))
                    .meters(meters))
            .build();
  }

  @Override
  public void close() throws Exception {
    manager.close();
    cache.close();
  }
}
