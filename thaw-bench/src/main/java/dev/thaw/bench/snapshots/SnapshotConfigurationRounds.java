package dev.thaw.bench.snapshots;

import dev.thaw.core.bench.ModelRow;
import dev.thaw.core.function.FunctionClient;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.function.Revision;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotMode;
import dev.thaw.core.snapshot.VariantSnapshotStore;
import dev.thaw.core.stats.LatencySummary;
import dev.thaw.core.vmm.MicroVm;
import dev.thaw.core.vmm.Vmm;
import dev.thaw.node.remote.RemoteSnapshotStore;
import dev.thaw.node.snapshot.ColdStart;
import dev.thaw.node.snapshot.SnapshotNode;
import dev.thaw.node.snapshot.make.Snapshotted;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The measurement of {@code thaw bench snapshots} for one function: a node per configuration (no
 * snapshots; a snapshot in the local cache; remote storage without caching; remote storage into the
 * cache, emptied before each cold start), each cold-started a number of times, one configuration
 * after the other. The local node makes the snapshot the others fetch. It prints a line per cold
 * start as it goes.
 */
public final class SnapshotConfigurationRounds {
  private final Vmm vmm;
  private final SnapshotManifest.Guest guest;
  private final RemoteSnapshotStore remote;
  private final int coldStarts;
  private final PrintStream out;
  private final FunctionClient client = new FunctionClient(Duration.ofSeconds(30));

  /**
   * Rounds on {@code vmm} booting the guest whose digests are {@code guest}, against {@code
   * remote}, {@code coldStarts} cold starts per configuration.
   */
  public SnapshotConfigurationRounds(
      Vmm vmm,
      SnapshotManifest.Guest guest,
      RemoteSnapshotStore remote,
      int coldStarts,
      PrintStream out) {
    if (coldStarts < 1) {
      throw new IllegalArgumentException("coldStarts must be positive: " + coldStarts);
    }
    this.vmm = vmm;
    this.guest = guest;
    this.remote = remote;
    this.coldStarts = coldStarts;
    this.out = out;
  }

  /**
   * Measures {@code function} in every configuration, with the nodes' data under {@code dir}. Its
   * snapshot is deleted from the remote store before and after.
   */
  public FunctionFigures measure(FunctionSpec function, Path dir) throws Exception {
    Revision revision = Revision.of("bench-" + function.id());
    VariantSnapshotStore.of(remote, guest, vmm.identity()).delete(revision.value());
    List<ConfigurationFigures> results = new ArrayList<>();
    try (SnapshotNode none = node(dir, "none", SnapshotMode.DISABLED, true);
        SnapshotNode local = node(dir, "local", SnapshotMode.REMOTE, true);
        SnapshotNode uncached = node(dir, "uncached", SnapshotMode.REMOTE, false);
        SnapshotNode cached = node(dir, "cached", SnapshotMode.REMOTE, true)) {
      results.add(measure(ModelRow.NO_SNAPSHOT.label(), none, function, revision, () -> {}));
      snapshot(local, function, revision);
      results.add(measure(ModelRow.LOCAL_SNAPSHOT.label(), local, function, revision, () -> {}));
      results.add(measure("remote, no cache", uncached, function, revision, () -> {}));
      results.add(
          measure(
              ModelRow.REMOTE_CACHED_FETCH.label(),
              cached,
              function,
              revision,
              () -> cached.cache().remove(revision.value())));
    } finally {
      VariantSnapshotStore.of(remote, guest, vmm.identity()).delete(revision.value());
    }
    return new FunctionFigures(function.id(), results);
  }

  /**
   * Boots {@code function} on {@code node}, invokes it once and snapshots it (cached, uploaded).
   */
  private void snapshot(SnapshotNode node, FunctionSpec function, Revision revision)
      throws Exception {
    ColdStart first = node.manager().start(function, revision);
    client.get(first.vm().endpoint(), "/");
    long t0 = System.nanoTime();
    Snapshotted made =
        node.manager().snapshotAfterFirstInvocation(first.vm(), function, revision).get();
    made.verifiedClone().ifPresent(MicroVm::close);
    SnapshotManifest m = made.manifest().orElseThrow();
    out.printf(
        "  snapshot of %s: %d MiB, saved, verified, cached and uploaded in %.0f ms%n",
        revision, m.totalBytes() >> 20, (System.nanoTime() - t0) / 1e6);
  }

  /** Cold-starts {@code function} on {@code node}, running {@code before} before each. */
  private ConfigurationFigures measure(
      String name, SnapshotNode node, FunctionSpec function, Revision revision, Runnable before) {
    List<Double> total = new ArrayList<>();
    double fetchMs = 0;
    for (int i = 1; i <= coldStarts; i++) {
      before.run();
      long t0 = System.nanoTime();
      ColdStart start = node.manager().start(function, revision);
      try (MicroVm vm = start.vm()) {
        client.get(vm.endpoint(), "/");
        double ms = (System.nanoTime() - t0) / 1e6;
        total.add(ms);
        fetchMs += start.fetch().toNanos() / 1e6;
        out.printf(
            Locale.ROOT,
            "  %-24s %2d/%d: %7.0f ms (%s, fetch %.0f ms)%n",
            name,
            i,
            coldStarts,
            ms,
            start.source().label(),
            start.fetch().toNanos() / 1e6);
      }
    }
    double sum = total.stream().mapToDouble(Double::doubleValue).sum();
    return new ConfigurationFigures(name, LatencySummary.of(total), fetchMs / sum);
  }

  private SnapshotNode node(Path dir, String name, SnapshotMode mode, boolean cacheRemote)
      throws Exception {
    return SnapshotNode.builder(vmm, guest, dir.resolve(name))
        .manager(b -> b.mode(mode).remote(remote).cacheRemote(cacheRemote))
        .build();
  }
}
