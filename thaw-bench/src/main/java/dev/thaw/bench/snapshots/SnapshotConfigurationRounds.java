package dev.thaw.bench.snapshots;

import dev.thaw.bench.snapshots.BenchNode.AnswerBytes;
import dev.thaw.core.bench.ModelRow;
import dev.thaw.core.function.FunctionClient;
import dev.thaw.core.function.FunctionRequest;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.function.Revision;
import dev.thaw.core.io.FileTrees;
import dev.thaw.core.lazy.FileServer;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotMode;
import dev.thaw.core.snapshot.VariantSnapshotStore;
import dev.thaw.core.stats.LatencySummary;
import dev.thaw.core.vmm.MicroVm;
import dev.thaw.core.vmm.Vmm;
import dev.thaw.image.ImageSources;
import dev.thaw.node.remote.RemoteSnapshotStore;
import dev.thaw.node.snapshot.ColdStart;
import dev.thaw.node.snapshot.make.Snapshotted;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

/**
 * The measurement of {@code thaw bench snapshots} for one function, on nodes wired as {@code thaw
 * agent} wires them ({@link BenchNode}): no snapshots; a snapshot in the local cache (that node
 * makes the snapshot the others fetch, with the root-image chunks its verifying clone read); and
 * remote storage, without caching and into the cache, each cold start of those on a new node that
 * has neither the snapshot nor the function's root image, so that it restores lazily as such a node
 * does. Each configuration is cold-started a number of times, one after the other; a line per cold
 * start is printed as it goes.
 */
public final class SnapshotConfigurationRounds {
  /** Longest a new node's background work (its fetches, its root image fill) may take. */
  private static final Duration SETTLE = Duration.ofMinutes(5);

  private final BenchNode.Wiring wiring;
  private final Path deployed;
  private final int coldStarts;
  private final PrintStream out;
  private final FunctionClient client = new FunctionClient(Duration.ofSeconds(30));

  /**
   * Rounds on {@code vmm} booting the guest whose digests are {@code guest}, against {@code
   * remote}, {@code coldStarts} cold starts per configuration; a remote node's file server mounted
   * by {@code mount} on the directory given (empty where none can be: its restores are then whole);
   * the functions' root images built (and stored remotely) in the image cache {@code deployed}.
   */
  public SnapshotConfigurationRounds(
      Vmm vmm,
      SnapshotManifest.Guest guest,
      RemoteSnapshotStore remote,
      ImageSources.Registries registries,
      Function<Path, Optional<FileServer>> mount,
      Path deployed,
      int coldStarts,
      PrintStream out) {
    if (coldStarts < 1) {
      throw new IllegalArgumentException("coldStarts must be positive: " + coldStarts);
    }
    this.wiring = new BenchNode.Wiring(vmm, guest, remote, registries, mount);
    this.deployed = deployed;
    this.coldStarts = coldStarts;
    this.out = out;
  }

  /**
   * Measures {@code function} in every configuration, with the nodes' data under {@code dir}. Its
   * snapshot is deleted from the remote store before and after.
   */
  public FunctionFigures measure(FunctionSpec function, Path dir) throws Exception {
    Revision revision = Revision.of("bench-" + function.id());
    VariantSnapshotStore snapshots =
        VariantSnapshotStore.of(wiring.remote(), wiring.guest(), wiring.vmm().identity());
    snapshots.delete(revision.value());
    long imageBytes = function.fromImage() ? Files.size(function.image().rootfs()) : 0;
    List<ConfigurationFigures> results = new ArrayList<>();
    // The node that makes the snapshot deployed the function: its image cache has the image.
    try (BenchNode none =
            BenchNode.open(wiring, dir.resolve("none"), deployed, SnapshotMode.DISABLED, true);
        BenchNode local =
            BenchNode.open(wiring, dir.resolve("local"), deployed, SnapshotMode.REMOTE, true)) {
      Rounds rounds = new Rounds(function, revision);
      results.add(rounds.on(ModelRow.NO_SNAPSHOT.label(), i -> none, false));
      snapshot(local, function, revision);
      results.add(rounds.on(ModelRow.LOCAL_SNAPSHOT.label(), i -> local, false));
      results.add(rounds.on("remote, no cache", i -> fresh(dir, "uncached", i, false), true));
      results.add(
          rounds.on(
              ModelRow.REMOTE_CACHED_FETCH.label(), i -> fresh(dir, "cached", i, true), true));
    } finally {
      snapshots.delete(revision.value());
    }
    return new FunctionFigures(function.id(), imageBytes, results);
  }

  private BenchNode fresh(Path dir, String name, int coldStart, boolean cacheRemote)
      throws Exception {
    Path own = dir.resolve(name + "-" + coldStart);
    return BenchNode.open(wiring, own, own.resolve("images"), SnapshotMode.REMOTE, cacheRemote);
  }

  /**
   * Boots {@code function} on {@code node}, invokes it once and snapshots it (cached, uploaded),
   * its verifying clone answering that invocation again, as an agent's does.
   */
  private void snapshot(BenchNode node, FunctionSpec function, Revision revision) throws Exception {
    ColdStart first = node.manager().start(function, revision);
    client.get(first.vm().endpoint(), "/");
    long t0 = System.nanoTime();
    Snapshotted made =
        node.manager()
            .snapshotAfterFirstInvocation(
                first.vm(), function, revision, Optional.of(FunctionRequest.get("/")))
            .get();
    made.verifiedClone().ifPresent(MicroVm::close);
    SnapshotManifest m = made.manifest().orElseThrow();
    out.printf(
        "  snapshot of %s: %d MiB, saved, verified (%d root-image chunks read), cached and"
            + " uploaded in %.0f ms%n",
        revision, m.totalBytes() >> 20, m.rootImageReads().size(), (System.nanoTime() - t0) / 1e6);
  }

  /** The node a configuration's cold start {@code i} (from 1) runs on. */
  @FunctionalInterface
  private interface NodeFor {
    BenchNode open(int coldStart) throws Exception;
  }

  /** The cold starts of one function, configuration by configuration. */
  private final class Rounds {
    private final FunctionSpec function;
    private final Revision revision;

    Rounds(FunctionSpec function, Revision revision) {
      this.function = function;
      this.revision = revision;
    }

    /**
     * Cold-starts the function {@code coldStarts} times on the nodes {@code nodes} gives; {@code
     * fresh}: each a new node, let settle after its cold start, then closed and deleted.
     */
    ConfigurationFigures on(String name, NodeFor nodes, boolean fresh) throws Exception {
      List<Double> total = new ArrayList<>();
      List<Double> memory = new ArrayList<>();
      List<Double> image = new ArrayList<>();
      double fetchMs = 0;
      for (int i = 1; i <= coldStarts; i++) {
        BenchNode node = nodes.open(i);
        try {
          AnswerBytes before = node.answerBytes();
          long t0 = System.nanoTime();
          ColdStart start = node.manager().start(function, revision);
          double ms;
          try (MicroVm vm = start.vm()) {
            client.get(vm.endpoint(), "/");
            ms = (System.nanoTime() - t0) / 1e6;
            start.firstAnswered();
          }
          AnswerBytes after = node.answerBytes();
          boolean lazy = after.restores() > before.restores();
          if (lazy) {
            memory.add((double) (after.memory() - before.memory()));
            image.add((double) (after.rootImage() - before.rootImage()));
          }
          total.add(ms);
          fetchMs += start.fetch().toNanos() / 1e6;
          out.printf(
              Locale.ROOT,
              "  %-24s %2d/%d: %7.0f ms (%s, fetch %.0f ms%s)%n",
              name,
              i,
              coldStarts,
              ms,
              start.source().label(),
              start.fetch().toNanos() / 1e6,
              lazy
                  ? String.format(
                      Locale.ROOT,
                      "; lazy, answered after %d KiB of snapshot and %d KiB of root image",
                      (after.memory() - before.memory()) >> 10,
                      (after.rootImage() - before.rootImage()) >> 10)
                  : "");
          if (fresh) {
            node.settle(function.fromImage(), SETTLE);
          }
        } finally {
          if (fresh) {
            node.close();
          }
        }
        if (fresh) {
          FileTrees.deleteQuietly(node.dir());
        }
      }
      double sum = total.stream().mapToDouble(Double::doubleValue).sum();
      return new ConfigurationFigures(
          name,
          LatencySummary.of(total),
          fetchMs / sum,
          memory.size(),
          median(memory),
          median(image));
    }
  }

  private static long median(List<Double> values) {
    return values.isEmpty() ? 0 : Math.round(LatencySummary.of(values).p50());
  }
}
