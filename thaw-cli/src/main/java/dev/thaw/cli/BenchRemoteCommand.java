package dev.thaw.cli;

import dev.thaw.bench.LatencyReport;
import dev.thaw.bench.LinkEmulator;
import dev.thaw.bench.MachineCpu;
import dev.thaw.bench.ProcessCpu;
import dev.thaw.core.config.ByteSize;
import dev.thaw.core.function.BuiltinFunctions;
import dev.thaw.core.function.FunctionClient;
import dev.thaw.core.function.FunctionRequest;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.function.Revision;
import dev.thaw.core.io.FileTrees;
import dev.thaw.core.lazy.FileServer;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotMode;
import dev.thaw.core.snapshot.SnapshotStore;
import dev.thaw.core.snapshot.VariantSnapshotStore;
import dev.thaw.core.stats.LatencySummary;
import dev.thaw.core.vmm.MicroVm;
import dev.thaw.fuse.FuseFileServer;
import dev.thaw.node.remote.RemoteSnapshotStore;
import dev.thaw.node.snapshot.ColdStart;
import dev.thaw.node.snapshot.LocalSnapshotCache;
import dev.thaw.node.snapshot.SnapshotManager;
import dev.thaw.node.snapshot.SnapshotNode;
import dev.thaw.qemu.GuestImage;
import dev.thaw.qemu.QemuVmm;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
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
      "dedup ratio of the two functions."
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
      description = "Built-in function restored (default: ${DEFAULT-VALUE}).")
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
  private final FunctionClient client = new FunctionClient(Duration.ofSeconds(30));

  /**
   * The figures of one method.
   *
   * @param bytesPerRestore median bytes received from storage per restore before the first answer
   * @param allBytesPerRestore median bytes received per restore in all, background fetch included
   * @param cpuMsPerRestore median CPU time the whole machine spent per restore (all cores, every
   *     process, the kernel), or -1 where it cannot be read
   * @param cpuMsByPart median CPU time per part of this process and its children ({@link
   *     ProcessCpu#PARTS}); zeros where {@code /proc} cannot be read
   * @param readWaits median reads of the served memory file that waited for a chunk from the
   *     network before the first answer, per restore (lazy restores; 0 for the others)
   * @param readWaitMs median time those reads waited in all, per restore
   */
  record Result(
      String method,
      LatencySummary latencyMs,
      double ratioToLocal,
      long bytesPerRestore,
      long allBytesPerRestore,
      long cpuMsPerRestore,
      Map<String, Long> cpuMsByPart,
      long readWaits,
      double readWaitMs) {}

  /** What the counted rounds measured of one method. */
  private static final class Samples {
    final List<Double> ms = new ArrayList<>();
    final List<Double> bytes = new ArrayList<>();
    final List<Double> allBytes = new ArrayList<>();
    final List<Double> cpuMs = new ArrayList<>();
    final List<Double> waits = new ArrayList<>();
    final List<Double> waitMs = new ArrayList<>();
    final Map<String, List<Double>> byPart = new LinkedHashMap<>();

    Result result(String method, double localP50) {
      LatencySummary s = LatencySummary.of(ms);
      Map<String, Long> partMs = new LinkedHashMap<>();
      byPart.forEach((part, v) -> partMs.put(part, Math.round(LatencySummary.of(v).p50())));
      return new Result(
          method,
          s,
          s.p50() / localP50,
          (long) LatencySummary.of(bytes).p50(),
          (long) LatencySummary.of(allBytes).p50(),
          cpuMs.isEmpty() ? -1 : (long) LatencySummary.of(cpuMs).p50(),
          partMs,
          waits.isEmpty() ? 0 : Math.round(LatencySummary.of(waits).p50()),
          waitMs.isEmpty() ? 0 : LatencySummary.of(waitMs).p50());
    }
  }

  @Override
  public Integer call() throws Exception {
    FunctionSpec function = builtin(functionId);
    FunctionSpec other = builtin(otherId);
    if (function.equals(other)) {
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
    String a = "bench-" + function.id();
    String b = "bench-" + other.id();
    out.printf(
        "thaw bench remote: %s (%d MiB) on %s; chunks of %s, zstd %d; %d restores per method%n",
        function.id(),
        function.memoryMib(),
        vmm.identity(),
        ByteSize.format(chunk),
        zstdLevel,
        restores);
    // The nodes store and fetch their snapshots as their variant (guest image and VMM).
    List<SnapshotStore> views =
        List.of(
            VariantSnapshotStore.of(chunked, image.digests(), vmm.identity()),
            VariantSnapshotStore.of(whole, image.digests(), vmm.identity()));
    for (SnapshotStore s : views) {
      for (String r : List.of(a, b)) {
        s.delete(r);
      }
    }
    chunked.collectGarbage(null, phase -> {});

    List<Result> results = new ArrayList<>();
    LatencyReport report =
        new LatencyReport("thaw bench remote: cold start of " + function.id())
            .provenance(Reports.provenance(spec, null));
    Optional<FuseFileServer> served = LazyRestore.mount(root.resolve("served"), out);
    FileServer files = served.orElse(null);
    try (AutoCloseable unmount = () -> served.ifPresent(FuseFileServer::close);
        Node maker = new Node(root, "local", vmm, image, chunked, chunk, fetchParallelism, files);
        Node wholeNode = new Node(root, "whole", vmm, image, whole, chunk, fetchParallelism, null);
        Node bare = new Node(root, "chunked", vmm, image, chunked, chunk, fetchParallelism, null);
        Node dedup = new Node(root, "dedup", vmm, image, chunked, chunk, fetchParallelism, null);
        Node lazy = new Node(root, "lazy", vmm, image, chunked, chunk, fetchParallelism, files)) {
      SnapshotManifest ma = snapshot(maker, function, a);
      SnapshotManifest mb = snapshot(maker, other, b);
      views.get(1).upload(ma, maker.cache().entryDir(a));
      // The dedup node holds the other function's snapshot, fetched like any remote one.
      try (MicroVm vm = dedup.manager().start(other, Revision.of(b)).vm()) {
        client.get(vm.endpoint(), "/");
      }

      MachineCpu cpu = MachineCpu.system();
      ProcessCpu parts = ProcessCpu.self();
      Map<String, Node> nodes = new LinkedHashMap<>();
      nodes.put("local restore", maker);
      nodes.put("remote, whole files", wholeNode);
      nodes.put("remote, chunks", bare);
      nodes.put("remote, chunks + " + other.id() + " cached", dedup);
      if (files != null) {
        nodes.put("remote, lazy", lazy);
      }
      Map<String, Samples> samples = new LinkedHashMap<>();
      nodes.keySet().forEach(k -> samples.put(k, new Samples()));
      for (int i = 1 - warmup; i <= restores; i++) {
        StringBuilder line =
            new StringBuilder(
                i < 1
                    ? String.format(Locale.ROOT, "  warm-up %d/%d:", i + warmup, warmup)
                    : String.format(Locale.ROOT, "  round %2d/%d:", i, restores));
        for (var e : nodes.entrySet()) {
          Node n = e.getValue();
          if (n != maker) {
            n.cache().remove(a);
          }
          // Garbage of the methods before (the whole-file fetch alone allocates the guest's
          // memory) is collected now, not in the middle of this restore.
          System.gc();
          long received = n.store().receivedBytes();
          long waits0 = n.manager().lazyReadWaits();
          Duration waited0 = n.manager().lazyReadWaitTime();
          OptionalLong cpu0 = cpu.busyMillis();
          ProcessCpu.Sample parts0 = parts.sample();
          long t0 = System.nanoTime();
          ColdStart start = n.manager().start(function, Revision.of(a));
          long answered;
          try (MicroVm vm = start.vm()) {
            client.get(vm.endpoint(), "/");
            double elapsed = (System.nanoTime() - t0) / 1e6;
            answered = n.store().receivedBytes();
            long waits = n.manager().lazyReadWaits() - waits0;
            Duration waited = n.manager().lazyReadWaitTime().minus(waited0);
            start.firstAnswered();
            OptionalLong cpu1 = cpu.busyMillis();
            Map<String, Double> spentByPart = parts.sample().millisSince(parts0);
            if (start.source() == ColdStart.Source.NONE) {
              throw new IllegalStateException(
                  e.getKey() + " booted instead of restoring: " + start.fallback().orElse("?"));
            }
            if (i >= 1) {
              Samples got = samples.get(e.getKey());
              got.ms.add(elapsed);
              got.bytes.add((double) (answered - received));
              got.waits.add((double) waits);
              got.waitMs.add(waited.toNanos() / 1e6);
              spentByPart.forEach(
                  (part, v) -> got.byPart.computeIfAbsent(part, k -> new ArrayList<>()).add(v));
              if (cpu0.isPresent() && cpu1.isPresent()) {
                got.cpuMs.add((double) (cpu1.getAsLong() - cpu0.getAsLong()));
              }
            }
            line.append(
                String.format(
                    Locale.ROOT,
                    " %6.0f (%.0f+%.0f)",
                    elapsed,
                    start.fetch().toNanos() / 1e6,
                    start.startup().toNanos() / 1e6));
          }
          // A lazy restore's background fetch ends before the next node's round starts.
          n.manager().awaitBackgroundFetches();
          if (i >= 1) {
            samples.get(e.getKey()).allBytes.add((double) (n.store().receivedBytes() - received));
          }
        }
        out.println(line + " ms");
      }
      double local = LatencySummary.of(samples.get("local restore").ms).p50();
      for (var e : samples.entrySet()) {
        results.add(e.getValue().result(e.getKey(), local));
        report.add(e.getKey(), e.getValue().ms);
      }
      Dedup d = dedup(ma, mb);
      print(results, function, d, other);
      json.write(
          doc -> {
            doc.put("function", function.id());
            doc.put("other", other.id());
            doc.put("vmm", vmm.identity().toString());
            doc.put("chunkSize", chunk);
            doc.put("zstdLevel", zstdLevel);
            doc.put("guestMemoryBytes", function.memoryBytes());
            doc.put("results", results);
            doc.put("dedup", d);
          },
          out);
      if (reportDir != null) {
        out.println("wrote " + report.write(reportDir));
      }
    } finally {
      for (SnapshotStore s : views) {
        for (String r : List.of(a, b)) {
          s.delete(r);
        }
      }
      chunked.collectGarbage(null, phase -> {});
    }
    return 0;
  }

  /** Boots {@code function}, invokes it once and snapshots it (cached and uploaded). */
  private SnapshotManifest snapshot(Node node, FunctionSpec function, String revision)
      throws Exception {
    ColdStart first = node.manager().start(function, Revision.of(revision));
    client.get(first.vm().endpoint(), "/");
    long t0 = System.nanoTime();
    SnapshotManager.Snapshotted made =
        node.manager()
            .snapshotAfterFirstInvocation(
                first.vm(), function, Revision.of(revision), Optional.of(FunctionRequest.get("/")))
            .get();
    made.verifiedClone().ifPresent(MicroVm::close);
    SnapshotManifest m = made.manifest().orElseThrow();
    out.printf(
        Locale.ROOT,
        "  snapshot of %s: booted in %.1f s; saved, chunked and uploaded in %.1f s%n",
        function.id(),
        first.startup().toMillis() / 1e3,
        (System.nanoTime() - t0) / 1e9);
    return m;
  }

  /**
   * How much two snapshots share.
   *
   * @param nonZeroBytes bytes of the restored function's non-zero chunks
   * @param sharedBytes of those, bytes whose chunk the other snapshot also has
   * @param ratio sharedBytes ÷ nonZeroBytes
   * @param storedOnceRatio both snapshots' non-zero bytes ÷ the bytes of their distinct chunks
   */
  record Dedup(long nonZeroBytes, long sharedBytes, double ratio, double storedOnceRatio) {}

  static Dedup dedup(SnapshotManifest a, SnapshotManifest b) {
    Map<String, Integer> ca = a.chunks();
    Map<String, Integer> cb = b.chunks();
    long nonZero = ca.values().stream().mapToLong(Integer::longValue).sum();
    long shared =
        ca.entrySet().stream()
            .filter(e -> cb.containsKey(e.getKey()))
            .mapToLong(Map.Entry::getValue)
            .sum();
    Map<String, Integer> union = new HashMap<>(ca);
    union.putAll(cb);
    long both = nonZero + cb.values().stream().mapToLong(Integer::longValue).sum();
    long distinct = union.values().stream().mapToLong(Integer::longValue).sum();
    return new Dedup(nonZero, shared, (double) shared / nonZero, (double) both / distinct);
  }

  private void print(List<Result> results, FunctionSpec function, Dedup d, FunctionSpec other) {
    out.println();
    out.printf(
        "%-32s %4s %8s %8s %8s %8s %12s %9s %10s %6s %8s %7s%n",
        "method",
        "n",
        "p50 ms",
        "p99 ms",
        "mean ms",
        "÷ local",
        "bytes/restore",
        "÷ memory",
        "all bytes",
        "waits",
        "wait ms",
        "cpu ms");
    for (Result r : results) {
      LatencySummary s = r.latencyMs();
      out.printf(
          Locale.ROOT,
          "%-32s %4d %8.0f %8.0f %8.0f %8.2f %12s %9.3f %10s %6d %8.1f %7s%n",
          r.method(),
          s.count(),
          s.p50(),
          s.p99(),
          s.mean(),
          r.ratioToLocal(),
          ByteSize.format(r.bytesPerRestore()),
          (double) r.bytesPerRestore() / function.memoryBytes(),
          ByteSize.format(r.allBytesPerRestore()),
          r.readWaits(),
          r.readWaitMs(),
          r.cpuMsPerRestore() < 0 ? "-" : Long.toString(r.cpuMsPerRestore()));
    }
    out.println(
        "bytes/restore: received before the first answer; all bytes: including what a lazy"
            + " restore fetches after it;\nwaits, wait ms: reads of the served memory file that"
            + " waited for the network before the first answer, and how long they waited in all"
            + " (median per restore)");
    out.println(
        "cpu ms: median CPU time the whole machine spent during one restore, over all cores"
            + " (this JVM with the embedded S3 server, QEMU, the kernel); resolution 10 ms");
    out.println();
    out.printf("%-32s", "cpu ms by part (median)");
    ProcessCpu.PARTS.forEach(p -> out.printf(" %13s", p));
    out.println();
    for (Result r : results) {
      out.printf("%-32s", r.method());
      ProcessCpu.PARTS.forEach(p -> out.printf(" %13s", r.cpuMsByPart().get(p)));
      out.println();
    }
    out.printf(
        Locale.ROOT,
        "%ndedup: %s of %s's %s of non-zero chunks are also in %s's snapshot (%.0f%%);"
            + " the two together store %.2fx less than their non-zero bytes%n",
        ByteSize.format(d.sharedBytes()),
        function.id(),
        ByteSize.format(d.nonZeroBytes()),
        other.id(),
        100 * d.ratio(),
        d.storedOnceRatio());
  }

  /** A node restoring from {@code store}, and the store, whose received bytes it reads. */
  private record Node(SnapshotNode node, RemoteSnapshotStore store) implements AutoCloseable {
    Node(
        Path root,
        String name,
        QemuVmm vmm,
        GuestImage image,
        RemoteSnapshotStore store,
        int chunk,
        int fetchParallelism,
        FileServer files)
        throws Exception {
      this(
          SnapshotNode.builder(vmm, image.digests(), root.resolve(name))
              .manager(
                  b -> {
                    b.mode(SnapshotMode.REMOTE)
                        .remote(store)
                        .chunkSize(chunk)
                        .fetchParallelism(fetchParallelism);
                    return files == null ? b : b.files(files);
                  })
              .build(),
          store);
    }

    LocalSnapshotCache cache() {
      return node.cache();
    }

    SnapshotManager manager() {
      return node.manager();
    }

    @Override
    public void close() throws Exception {
      node.close();
    }
  }
}
