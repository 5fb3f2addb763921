package dev.thaw.cli;

import dev.thaw.core.bench.Bench;
import dev.thaw.core.bench.BenchResult;
import dev.thaw.core.bench.BenchResultCodec;
import dev.thaw.core.bench.BenchRow;
import dev.thaw.core.bench.ModelRow;
import dev.thaw.core.function.BuiltinFunctions;
import dev.thaw.core.function.FunctionClient;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.function.Revision;
import dev.thaw.core.io.FileTrees;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotMode;
import dev.thaw.core.snapshot.VariantSnapshotStore;
import dev.thaw.core.stats.LatencySummary;
import dev.thaw.core.vmm.MicroVm;
import dev.thaw.image.ExampleImages;
import dev.thaw.image.ImageSources;
import dev.thaw.image.RootImageBuilder;
import dev.thaw.image.RootImageCache;
import dev.thaw.node.agent.ImageFunctions;
import dev.thaw.node.protocol.ImageDeployment;
import dev.thaw.node.snapshot.ColdStart;
import dev.thaw.node.snapshot.SnapshotManager;
import dev.thaw.node.snapshot.SnapshotNode;
import dev.thaw.qemu.GuestImage;
import dev.thaw.qemu.QemuVmm;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code thaw bench snapshots}: cold-start latency of the four snapshot configurations of the
 * thesis' evaluation, measured side by side in one run.
 */
@Command(
    name = "snapshots",
    mixinStandardHelpOptions = true,
    description = {
      "Compares cold starts without snapshots, from the cache and from remote storage.",
      "Cold-start latency (request to first response) without snapshots, from a local",
      "snapshot, from remote storage without caching, and from remote storage into the cache,",
      "plus the share of remote cold-start time spent fetching."
    })
final class BenchSnapshotsCommand implements Callable<Integer> {
  /** The project's Python function from its OCI image (see {@code images/}). */
  static final String PYTHON = "python";

  @Option(
      names = "--cold-starts",
      defaultValue = "15",
      description = "Cold starts per configuration (default: ${DEFAULT-VALUE}).")
  int coldStarts;

  @Option(
      names = "--function",
      split = ",",
      defaultValue = "hello,python",
      description =
          "Functions, measured one after the other in this run: built-ins (hello, stateful) or"
              + " python (the project's Python image) (default: ${DEFAULT-VALUE}).")
  List<String> functionIds;

  @Mixin JsonOutput json;

  @Mixin S3Options s3;

  private final PrintStream out = System.out;
  private final FunctionClient client = new FunctionClient(Duration.ofSeconds(30));

  /** The figures of one configuration. */
  record Result(String configuration, LatencySummary latencyMs, double fetchShare) {
    BenchRow row() {
      return new BenchRow(configuration, latencyMs, Map.of("fetchShare", fetchShare));
    }
  }

  /** The figures of one function. */
  record FunctionResults(String function, List<Result> results) {}

  @Override
  public Integer call() throws Exception {
    if (coldStarts < 1) {
      throw new IllegalArgumentException("--cold-starts must be positive");
    }
    for (String id : functionIds) {
      if (!id.equals(PYTHON) && BuiltinFunctions.byId(id).isEmpty()) {
        throw new IllegalArgumentException(
            "unknown function: " + id + " (hello, stateful or " + PYTHON + ")");
      }
    }
    Path root = Files.createTempDirectory("thaw-bench-snapshots-");
    try (S3Options.Remote remote = s3.open(root)) {
      return run(root, remote);
    } finally {
      FileTrees.deleteQuietly(root);
    }
  }

  private int run(Path root, S3Options.Remote remote) throws Exception {
    GuestImage image = GuestImage.ensure(out::println);
    QemuVmm vmm = QemuVmm.builder().image(image).workRoot(root.resolve("vms")).build();
    SnapshotManifest.Guest guest = image.digests();
    out.printf(
        "thaw bench snapshots: %s on %s, remote %s, %d cold starts per configuration%n",
        String.join(", ", functionIds), vmm.identity(), remote.store().describe(), coldStarts);
    List<FunctionResults> all = new ArrayList<>();
    for (String id : functionIds) {
      FunctionSpec function = function(id, root);
      all.add(new FunctionResults(id, measure(function, root, vmm, guest, remote)));
    }
    for (FunctionResults f : all) {
      print(f);
    }
    if (json.file != null) {
      Files.writeString(json.file, BenchResultCodec.write(result(vmm.identity().toString(), all)));
      out.println("wrote " + json.file);
    }
    return 0;
  }

  /**
   * The run's JSON document: every function's results under {@code functions}, and the first
   * function's as the document's rows (thaw simulate --model reads them).
   */
  static BenchResult result(String vmmIdentity, List<FunctionResults> all) {
    Map<String, Object> facts = new LinkedHashMap<>();
    facts.put("function", all.get(0).function());
    facts.put("vmm", vmmIdentity);
    facts.put("functions", all);
    return BenchResult.ofThisMachine(
        Bench.SNAPSHOTS, facts, all.get(0).results().stream().map(Result::row).toList());
  }

  /** A built-in, or the Python image with its root image built in {@code root}. */
  private FunctionSpec function(String id, Path root) throws Exception {
    if (!id.equals(PYTHON)) {
      return BuiltinFunctions.byId(id).orElseThrow();
    }
    ImageDeployment python =
        ImageDeployment.of(ExampleImages.ensure(out::println).python().toString());
    ImageFunctions images =
        new ImageFunctions(
            RootImageBuilder.builder(
                    RootImageCache.open(root.resolve("images"), 4L << 30, Instant::now))
                .build(),
            ImageSources.Registries.fromEnvironment(System.getenv()));
    return images.resolve(Revision.of(PYTHON), python);
  }

  private List<Result> measure(
      FunctionSpec function,
      Path root,
      QemuVmm vmm,
      SnapshotManifest.Guest guest,
      S3Options.Remote remote)
      throws Exception {
    Revision revision = Revision.of("bench-" + function.id());
    VariantSnapshotStore.of(remote.store(), guest, vmm.identity()).delete(revision.value());
    Path dir = root.resolve(function.id());
    List<Result> results = new ArrayList<>();
    try (SnapshotNode none = node(dir, "none", SnapshotMode.DISABLED, true, vmm, guest, remote);
        SnapshotNode local = node(dir, "local", SnapshotMode.REMOTE, true, vmm, guest, remote);
        SnapshotNode uncached =
            node(dir, "uncached", SnapshotMode.REMOTE, false, vmm, guest, remote);
        SnapshotNode cached = node(dir, "cached", SnapshotMode.REMOTE, true, vmm, guest, remote)) {
      results.add(measure(ModelRow.NO_SNAPSHOT.label(), none, function, revision, () -> {}));

      ColdStart first = local.manager().start(function, revision);
      client.get(first.vm().endpoint(), "/");
      long t0 = System.nanoTime();
      SnapshotManager.Snapshotted made =
          local.manager().snapshotAfterFirstInvocation(first.vm(), function, revision).get();
      made.verifiedClone().ifPresent(MicroVm::close);
      SnapshotManifest m = made.manifest().orElseThrow();
      out.printf(
          "  snapshot of %s: %d MiB, saved, verified, cached and uploaded in %.0f ms%n",
          revision, m.totalBytes() >> 20, (System.nanoTime() - t0) / 1e6);

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
      VariantSnapshotStore.of(remote.store(), guest, vmm.identity()).delete(revision.value());
    }
    return results;
  }

  private Result measure(
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
    return new Result(name, LatencySummary.of(total), fetchMs / sum);
  }

  private void print(FunctionResults f) {
    List<Result> results = f.results();
    double boot = results.get(0).latencyMs().p50();
    double local = results.get(1).latencyMs().p50();
    out.println();
    out.printf(
        "%-24s %8s %8s %8s %8s %8s %9s %8s %8s%n",
        f.function() + ": cold start",
        "n",
        "mean ms",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "fetching",
        "÷ boot",
        "÷ local");
    for (Result r : results) {
      LatencySummary s = r.latencyMs();
      out.printf(
          Locale.ROOT,
          "%-24s %8d %8.0f %8.0f %8.0f %8.0f %8.0f%% %8.3f %8.2f%n",
          r.configuration(),
          s.count(),
          s.mean(),
          s.p50(),
          s.p90(),
          s.p99(),
          100 * r.fetchShare(),
          s.p50() / boot,
          s.p50() / local);
    }
  }

  private static SnapshotNode node(
      Path root,
      String name,
      SnapshotMode mode,
      boolean cacheRemote,
      QemuVmm vmm,
      SnapshotManifest.Guest guest,
      S3Options.Remote remote)
      throws Exception {
    return SnapshotNode.builder(vmm, guest, root.resolve(name))
        .manager(b -> b.mode(mode).remote(remote.store()).cacheRemote(cacheRemote))
        .build();
  }
}
