package dev.thaw.cli;

import dev.thaw.bench.TextTable;
import dev.thaw.bench.TextTable.Column;
import dev.thaw.bench.snapshots.ConfigurationFigures;
import dev.thaw.bench.snapshots.FunctionFigures;
import dev.thaw.bench.snapshots.SnapshotConfigurationRounds;
import dev.thaw.core.bench.Bench;
import dev.thaw.core.bench.BenchResult;
import dev.thaw.core.bench.BenchResultCodec;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.io.FileTrees;
import dev.thaw.core.lazy.FileServer;
import dev.thaw.core.stats.LatencySummary;
import dev.thaw.image.ImageSources;
import dev.thaw.image.RootImageBuilder;
import dev.thaw.image.RootImageCache;
import dev.thaw.node.agent.ImageFunctions;
import dev.thaw.qemu.GuestImage;
import dev.thaw.qemu.QemuVmm;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
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
      "plus the share of remote cold-start time spent fetching. Nodes are wired as thaw agent",
      "wires them; each remote cold start runs on a new node that has neither the snapshot nor",
      "the function's root image, and restores lazily where FUSE is available: the bytes of",
      "snapshot and of root image received before the first answer are shown apart."
    })
final class BenchSnapshotsCommand implements Callable<Integer> {
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
              + " the project's images (python, node, java) (default: ${DEFAULT-VALUE}).")
  List<String> functionIds;

  @Mixin JsonOutput json;

  @Mixin S3Options s3;

  private final PrintStream out = System.out;

  @Override
  public Integer call() throws Exception {
    if (coldStarts < 1) {
      throw new IllegalArgumentException("--cold-starts must be positive");
    }
    for (String id : functionIds) {
      if (!ExampleFunction.known(id)) {
        throw new IllegalArgumentException(
            "unknown function: " + id + " (hello, stateful, " + ExampleFunction.names() + ")");
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
    out.printf(
        "thaw bench snapshots: %s on %s, remote %s, %d cold starts per configuration%n",
        String.join(", ", functionIds), vmm.identity(), remote.store().describe(), coldStarts);
    ImageSources.Registries registries = ImageSources.Registries.fromEnvironment(System.getenv());
    // Nodes wired as thaw agent wires them: a file server each in remote mode, root images too.
    SnapshotConfigurationRounds rounds =
        new SnapshotConfigurationRounds(
            vmm,
            image.digests(),
            remote.store(),
            registries,
            dir -> LazyRestoreMount.mount(dir, out).<FileServer>map(f -> f),
            root.resolve("images"),
            coldStarts,
            out);
    ImageFunctions images =
        new ImageFunctions(
            RootImageBuilder.builder(
                    RootImageCache.open(root.resolve("images"), 4L << 30, Instant::now))
                .build(),
            registries,
            remote.store().rootImages());
    List<FunctionFigures> all = new ArrayList<>();
    for (String id : functionIds) {
      FunctionSpec function = ExampleFunction.resolve(id, images, out::println);
      all.add(rounds.measure(function, root.resolve(function.id())));
    }
    for (FunctionFigures f : all) {
      out.println();
      out.print(table(f));
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
  static BenchResult result(String vmmIdentity, List<FunctionFigures> all) {
    Map<String, Object> facts = new LinkedHashMap<>();
    facts.put("function", all.get(0).function());
    facts.put("vmm", vmmIdentity);
    facts.put("functions", all);
    return BenchResult.ofThisMachine(
        Bench.SNAPSHOTS,
        facts,
        all.get(0).results().stream().map(ConfigurationFigures::row).toList());
  }

  /**
   * The function's configurations side by side, each median also against the first configuration's
   * (a cold boot) and the second's (a local restore); for the configurations that restored lazily,
   * the median bytes received from remote storage before the first answer: of the snapshot (memory
   * and device state) and of the root image, that also as a share of the image.
   */
  static String table(FunctionFigures f) {
    List<ConfigurationFigures> results = f.results();
    double boot = results.get(0).latencyMs().p50();
    double local = results.get(1).latencyMs().p50();
    TextTable t =
        TextTable.of(
            Column.left(f.function() + ": cold start", 24),
            Column.right("n", 8),
            Column.right("mean ms", 8),
            Column.right("p50 ms", 8),
            Column.right("p90 ms", 8),
            Column.right("p99 ms", 8),
            Column.right("fetching", 9),
            Column.right("÷ boot", 8),
            Column.right("÷ local", 8),
            Column.right("mem KiB", 8),
            Column.right("image KiB", 9),
            Column.right("% image", 8));
    for (ConfigurationFigures r : results) {
      LatencySummary s = r.latencyMs();
      boolean lazy = r.lazyRestores() > 0;
      double share = f.shareOfImage(r.rootImageBytes());
      t.row(
          r.configuration(),
          s.count(),
          decimals(0, s.mean()),
          decimals(0, s.p50()),
          decimals(0, s.p90()),
          decimals(0, s.p99()),
          decimals(0, 100 * r.fetchShare()) + "%",
          decimals(3, s.p50() / boot),
          decimals(2, s.p50() / local),
          lazy ? Long.toString(r.memoryBytes() >> 10) : "-",
          lazy && !Double.isNaN(share) ? Long.toString(r.rootImageBytes() >> 10) : "-",
          lazy && !Double.isNaN(share) ? decimals(1, 100 * share) + "%" : "-");
    }
    return t.render();
  }

  private static String decimals(int places, double value) {
    return String.format(Locale.ROOT, "%." + places + "f", value);
  }
}
