package dev.thaw.node.snapshot;

import dev.thaw.core.cache.CacheIndex;
import dev.thaw.core.cache.InMemoryCacheAdvertiser;
import dev.thaw.core.snapshot.SnapshotMode;
import dev.thaw.core.snapshot.SnapshotStore;
import dev.thaw.qemu.GuestImage;
import dev.thaw.qemu.QemuVmm;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.UnaryOperator;

/** A test node: its own cache directory, VM work root and meters, sharing the guest image. */
final class Node implements AutoCloseable {
  static final GuestImage IMAGE =
      GuestImage.ensure(GuestImage.defaultCacheRoot(), System.out::println);
  static final dev.thaw.core.snapshot.SnapshotManifest.Guest GUEST = IMAGE.digests();

  final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  final LocalSnapshotCache cache;
  final SnapshotManager manager;

  Node(
      Path dir,
      String name,
      SnapshotMode mode,
      SnapshotStore remote,
      boolean cacheRemote,
      InMemoryCacheAdvertiser ads)
      throws Exception {
    this(dir, name, mode, remote, cacheRemote, ads, b -> b);
  }

  /** A node whose manager builder {@code configure} adjusts last. */
  Node(
      Path dir,
      String name,
      SnapshotMode mode,
      SnapshotStore remote,
      boolean cacheRemote,
      InMemoryCacheAdvertiser ads,
      UnaryOperator<SnapshotManager.Builder> configure)
      throws Exception {
    QemuVmm vmm = QemuVmm.builder().image(IMAGE).workRoot(dir.resolve(name + "-vms")).build();
    cache =
        LocalSnapshotCache.open(
            dir.resolve(name + "-cache"),
            CacheIndex.builder().capacityBytes(4L << 30).build(),
            ads.forNode(name),
            vmm.identity(),
            meters);
    manager =
        configure
            .apply(
                SnapshotManager.builder()
                    .mode(mode)
                    .vmm(vmm)
                    .cache(cache)
                    .remote(remote)
                    .cacheRemote(cacheRemote)
                    .guest(GUEST)
                    .scratch(dir.resolve(name + "-scratch"))
                    .readyTimeout(Duration.ofSeconds(120))
                    .meters(meters))
            .build();
  }

  long fetches() {
    return meters.timer("thaw.snapshot.fetch").count();
  }

  @Override
  public void close() throws java.io.IOException {
    manager.close();
    cache.close();
  }
}
