package dev.thaw.node.snapshot;

import dev.thaw.core.cache.InMemoryCacheAdvertiser;
import dev.thaw.core.snapshot.SnapshotMode;
import dev.thaw.core.snapshot.SnapshotStore;
import dev.thaw.core.snapshot.VariantSnapshotStore;
import dev.thaw.node.snapshot.cache.LocalSnapshotCache;
import dev.thaw.qemu.GuestImage;
import dev.thaw.qemu.QemuVmm;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.UnaryOperator;

/** A test node: its own cache directory, VM work root and meters, sharing the guest image. */
final class Node implements AutoCloseable {
  static final GuestImage IMAGE = GuestImage.ensure(System.out::println);
  static final dev.thaw.core.snapshot.SnapshotManifest.Guest GUEST = IMAGE.digests();

  /** Remote storage as the test nodes see it: the variant of their guest image and VMM. */
  static VariantSnapshotStore view(SnapshotStore store) {
    return VariantSnapshotStore.of(
        store,
        GUEST,
        QemuVmm.builder().image(IMAGE).workRoot(Path.of("unused")).build().identity());
  }

  final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  final SnapshotNode node;
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

  /**
   * A node under {@code dir/name} (cache and scratch space; its VMs under {@code dir/name-vms})
   * whose manager builder {@code configure} adjusts last.
   */
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
    node =
        SnapshotNode.builder(vmm, GUEST, dir.resolve(name))
            .advertiser(ads.forNode(name))
            .meters(meters)
            .manager(
                b ->
                    configure.apply(
                        b.mode(mode)
                            .remote(remote)
                            .cacheRemote(cacheRemote)
                            .readyTimeout(Duration.ofSeconds(120))))
            .build();
    cache = node.cache();
    manager = node.manager();
  }

  long fetches() {
    return meters.timer("thaw.snapshot.fetch").count();
  }

  @Override
  public void close() throws java.io.IOException {
    node.close();
  }
}
