package dev.thaw.cli;

import dev.thaw.bench.LatencyReport;
import dev.thaw.bench.LinkEmulator;
import dev.thaw.bench.restore.RemoteRestoreRounds;
import dev.thaw.bench.restore.RemoteRestoreTables;
import dev.thaw.bench.restore.RestoreFigures;
import dev.thaw.core.bench.Bench;
import dev.thaw.core.bench.BenchResult;
import dev.thaw.core.bench.BenchResultCodec;
import dev.thaw.core.config.ByteSize;
import dev.thaw.core.function.BuiltinFunctions;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.io.FileTrees;
import dev.thaw.core.lazy.FileServer;
import dev.thaw.fuse.FuseFileServer;
import dev.thaw.image.ImageSources;
import dev.thaw.image.RootImageBuilder;
import dev.thaw.image.RootImageCache;
import dev.thaw.node.agent.ImageFunctions;
import dev.thaw.node.remote.RemoteSnapshotStore;
import dev.thaw.qemu.GuestImage;
import dev.thaw.qemu.QemuVmm;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code thaw bench remote}: a local restore against remote restores by the whole-file method and
 * by the chunked method (with and without another function's snapshot in the cache to copy shared
 * chunks from), measured round-robin in one run.
 */
@Command(
    name = "remote",
    mixinStandardHelpOptions = true,
    description = {
      "Compares a local restore with remote restores of whole files and of chunks.",
      "Cold-start latency of a local restore, a remote restore of whole files, and",
      "remote restores of chunks (nothing cached; another function's snapshot",
      "cached), side by side, with the bytes each remote restore moved and the",
      "dedup ratio of the two functions; and remote restores that read the chunks",
      "from the local node's cache over its peer edge before storage (chunks, lazy)."
    })
final class BenchRemoteCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--restores",
      defaultValue = "15",
      description = "Restores per method (default: ${DEFAULT-VALUE}).")
  int restores;

  @Option(
      names = "--warmup",
      defaultValue = "10",
      description =
          "Rounds run first and not counted: a node agent is a long-running JVM, so the bench"
              + " measures compiled code; the JIT compiler is still busy for about ten rounds"
              + " (default: ${DEFAULT-VALUE}).")
  int warmup;

  @Option(
      names = "--function",
      defaultValue = "hello",
      description =
          "Function restored: a built-in (hello, stateful) or one of the project's images"
              + " (python, node, java) (default: ${DEFAULT-VALUE}).")
  String functionId;

  @Option(
      names = "--other",
      defaultValue = "stateful",
      description =
          "Built-in function whose snapshot the dedup node caches (default: ${DEFAULT-VALUE}).")
  String otherId;

  @Option(
      names = "--chunk-size",
      defaultValue = "64KiB",
      description = "Chunk size of the snapshots (default: ${DEFAULT-VALUE}).")
  String chunkSize;

  @Option(
      names = "--zstd-level",
      defaultValue = "3",
      description = "zstd level of stored chunks (default: ${DEFAULT-VALUE}).")
  int zstdLevel;

  @Option(
      names = "--fetch-parallelism",
      defaultValue = "8",
      description = "Chunks fetched at once per restore (default: ${DEFAULT-VALUE}).")
  int fetchParallelism;

  @Mixin JsonOutput json;

  @Option(
      names = "--link",
      description =
          "Put storage behind an emulated network link: its rate and one-way delay, e.g."
              + " 1gbit,0.5ms (default: loopback as it is).")
  String link;

  @Option(
      names = "--report",
      description = "Also write plots and an HTML report into this directory.")
  Path reportDir;

  @Mixin S3Options s3;

  private final PrintStream out = System.out;

  @Override
  public Integer call() throws Exception {
    if (!ExampleFunction.known(functionId)) {
      throw new IllegalArgumentException(
          "unknown function: "
              + functionId
              + " (hello, stateful, "
              + ExampleFunction.names()
              + ")");
    }
    FunctionSpec other = builtin(otherId);
    if (functionId.equals(otherId)) {
      throw new IllegalArgumentException("--function and --other must differ");
    }
    if (restores < 1) {
      throw new IllegalArgumentException("--restores must be positive");
    }
    int chunk = Math.toIntExact(ByteSize.parse(chunkSize));
    LinkEmulator.Spec linkSpec = link == null ? null : LinkEmulator.Spec.parse(link);
    Path root = Files.createTempDirectory("thaw-bench-remote-");
    try (S3Options.Remote remote = s3.open(root);
        LinkEmulator emulated = linkSpec == null ? null : emulate(remote.endpoint(), linkSpec);
        RemoteSnapshotStore chunked =
            remote
                .storeUnder("bench/chunked/", via(remote, emulated))
                .compressionLevel(zstdLevel)
                .build();
        RemoteSnapshotStore whole =
            remote.storeUnder("bench/whole/", via(remote, emulated)).wholeFiles(true).build()) {
      if (emulated != null) {
        out.println("storage behind an emulated link: " + linkSpec + " (a proxy in this process)");
      }
      ImageFunctions images =
          new ImageFunctions(
              RootImageBuilder.builder(
                      RootImageCache.open(root.resolve("images"), 4L << 30, Instant::now))
                  .build(),
              ImageSources.Registries.fromEnvironment(System.getenv()),
              chunked.rootImages());
      FunctionSpec function = ExampleFunction.resolve(functionId, images, out::println);
      return run(function, other, chunk, root, chunked, whole);
    } finally {
      FileTrees.deleteQuietly(root);
    }
  }

  /** A link to the storage at {@code endpoint}, which must name a host and port. */
  private static LinkEmulator emulate(URI endpoint, LinkEmulator.Spec spec) throws IOException {
    if (endpoint == null || endpoint.getHost() == null || endpoint.getPort() < 0) {
      throw new IllegalArgumentException(
          "--link needs storage at an endpoint with a host and port, not " + endpoint);
    }
    return LinkEmulator.start(
        new InetSocketAddress(endpoint.getHost(), endpoint.getPort()),
        spec.bitsPerSecond(),
        spec.delay());
  }

  /** Where the nodes reach the storage: through the link when there is one. */
  private static URI via(S3Options.Remote remote, LinkEmulator link) {
    return link == null
        ? remote.endpoint()
        : URI.create("http://127.0.0.1:" + link.address().getPort());
  }

  private static FunctionSpec builtin(String id) {
    return BuiltinFunctions.byId(id)
        .orElseThrow(() -> new IllegalArgumentException("unknown function: " + id));
  }

  private int run(
      FunctionSpec function,
      FunctionSpec other,
      int chunk,
      Path root,
      RemoteSnapshotStore chunked,
      RemoteSnapshotStore whole)
      throws Exception {
    GuestImage image = GuestImage.ensure(out::println);
    QemuVmm vmm = QemuVmm.builder().image(image).workRoot(root.resolve("vms")).build();
    out.printf(
        "thaw bench remote: %s (%d MiB) on %s; chunks of %s, zstd %d; %d restores per method%n",
        function.id(),
        function.memoryMib(),
        vmm.identity(),
        ByteSize.format(chunk),
        zstdLevel,
        restores);
    Optional<FuseFileServer> served = LazyRestoreMount.mount(root.resolve("served"), out);
    RemoteRestoreRounds.Outcome o;
    try {
      o =
          new RemoteRestoreRounds(
                  vmm,
                  image.digests(),
                  root,
                  chunk,
                  fetchParallelism,
                  served.map(FileServer.class::cast),
                  out)
              .measure(function, other, chunked, whole, warmup, restores);
    } finally {
      served.ifPresent(FuseFileServer::close);
    }
    out.print(RemoteRestoreTables.render(o, function, other));
    if (json.file != null) {
      Files.writeString(
          json.file,
          BenchResultCodec.write(
              result(function, other, vmm.identity().toString(), chunk, zstdLevel, o)));
      out.println("wrote " + json.file);
    }
    if (reportDir != null) {
      LatencyReport report =
          new LatencyReport("thaw bench remote: cold start of " + function.id())
              .provenance(Reports.provenance(spec, null));
      o.latencies().forEach(report::add);
      out.println("wrote " + report.write(reportDir));
    }
    return 0;
  }

  /** The run's JSON document: each method's row, the run's settings and the dedup. */
  static BenchResult result(
      FunctionSpec function,
      FunctionSpec other,
      String vmmIdentity,
      int chunk,
      int zstdLevel,
      RemoteRestoreRounds.Outcome o) {
    Map<String, Object> facts = new LinkedHashMap<>();
    facts.put("function", function.id());
    facts.put("other", other.id());
    facts.put("vmm", vmmIdentity);
    facts.put("chunkSize", chunk);
    facts.put("zstdLevel", zstdLevel);
    facts.put(BenchResult.GUEST_MEMORY_BYTES, function.memoryBytes());
    facts.put("dedup", o.dedup());
    return BenchResult.ofThisMachine(
        Bench.REMOTE, facts, o.figures().stream().map(RestoreFigures::row).toList());
  }
}
