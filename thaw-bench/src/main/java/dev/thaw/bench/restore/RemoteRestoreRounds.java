package dev.thaw.bench.restore;

import dev.thaw.bench.MachineCpu;
import dev.thaw.bench.ProcessCpu;
import dev.thaw.core.bench.ModelRow;
import dev.thaw.core.function.FunctionClient;
import dev.thaw.core.function.FunctionRequest;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.function.Revision;
import dev.thaw.core.lazy.FileServer;
import dev.thaw.core.snapshot.ChunkDedup;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotMode;
import dev.thaw.core.snapshot.SnapshotStore;
import dev.thaw.core.snapshot.VariantSnapshotStore;
import dev.thaw.core.stats.LatencySummary;
import dev.thaw.core.vmm.MicroVm;
import dev.thaw.core.vmm.Vmm;
import dev.thaw.http.BearerToken;
import dev.thaw.node.peer.CachedChunks;
import dev.thaw.node.peer.PeerEndpoint;
import dev.thaw.node.peer.PeerServer;
import dev.thaw.node.peer.PeerTokens;
import dev.thaw.node.peer.StaticPeerDirectory;
import dev.thaw.node.remote.RemoteSnapshotStore;
import dev.thaw.node.snapshot.ColdStart;
import dev.thaw.node.snapshot.SnapshotManager;
import dev.thaw.node.snapshot.SnapshotNode;
import dev.thaw.node.snapshot.cache.LocalSnapshotCache;
import dev.thaw.node.snapshot.fill.ManifestDigest;
import dev.thaw.node.snapshot.fill.PeerHttp;
import dev.thaw.node.snapshot.fill.PeerReads;
import dev.thaw.node.snapshot.make.Snapshotted;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.PrintStream;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The measurement of {@code thaw bench remote}: one node per restore method (a local restore, a
 * remote restore of whole files, of chunks with nothing cached, of chunks with another function's
 * snapshot cached, and, where a file server for lazy restores is given, a lazy one), restoring the
 * same snapshot round-robin so that every method sees the same machine load, with the latency,
 * bytes, CPU time and lazy read waits of each counted round. It prints each round's line as it goes
 * and returns the figures; {@code thaw bench remote} prints them as its table.
 */
public final class RemoteRestoreRounds {
  /**
   * What the rounds measured: each method's figures and latencies, and the two snapshots' dedup.
   */
  public record Outcome(
      List<RestoreFigures> figures, Map<String, List<Double>> latencies, ChunkDedup dedup) {
    public Outcome {
      figures = List.copyOf(figures);
      latencies = Collections.unmodifiableMap(new LinkedHashMap<>(latencies));
    }
  }

  private final Vmm vmm;
  private final SnapshotManifest.Guest guest;
  private final Path root;
  private final int chunk;
  private final int fetchParallelism;
  private final Optional<FileServer> files;
  private final PrintStream out;
  private final FunctionClient client = new FunctionClient(Duration.ofSeconds(30));
  private final MeterRegistry meters = new SimpleMeterRegistry();

  /**
   * Rounds on {@code vmm} booting the guest whose digests are {@code guest}, with the nodes' data
   * under {@code root}, snapshots in chunks of {@code chunk} bytes fetched {@code fetchParallelism}
   * at once, and the lazy method where {@code files} serves lazy restores.
   */
  public RemoteRestoreRounds(
      Vmm vmm,
      SnapshotManifest.Guest guest,
      Path root,
      int chunk,
      int fetchParallelism,
      Optional<FileServer> files,
      PrintStream out) {
    this.vmm = vmm;
    this.guest = guest;
    this.root = root;
    this.chunk = chunk;
    this.fetchParallelism = fetchParallelism;
    this.files = files;
    this.out = out;
  }

  /**
   * Snapshots {@code function} and {@code other} into {@code chunked} (and {@code function} into
   * {@code whole}), then restores {@code function} by every method, {@code warmup} rounds uncounted
   * and {@code restores} counted. Both snapshots are deleted from both stores before and after.
   */
  public Outcome measure(
      FunctionSpec function,
      FunctionSpec other,
      RemoteSnapshotStore chunked,
      RemoteSnapshotStore whole,
      int warmup,
      int restores)
      throws Exception {
    String a = "bench-" + function.id();
    String b = "bench-" + other.id();
    // The nodes store and fetch their snapshots as their variant (guest image and VMM).
    List<SnapshotStore> views =
        List.of(
            VariantSnapshotStore.of(chunked, guest, vmm.identity()),
            VariantSnapshotStore.of(whole, guest, vmm.identity()));
    delete(views, chunked, a, b);
    FileServer files = this.files.orElse(null);
    BearerToken peerToken = BearerToken.generate();
    try (Node maker = node("local", chunked, files);
        Node wholeNode = node("whole", whole, null);
        Node bare = node("chunked", chunked, null);
        Node dedup = node("dedup", chunked, null);
        Node lazy = node("lazy", chunked, files);
        // The maker serves its cache to its peers as an agent does: over HTTP, behind a token.
        PeerServer edge =
            PeerServer.builder(
                    "local", PeerTokens.of(peerToken), new CachedChunks(maker.cache(), meters))
                .address("127.0.0.1:0")
                .start();
        Node peerChunks = node("chunked-peer", chunked, null, peers(edge, peerToken, true));
        Node peerLazy = node("lazy-peer", chunked, files, peers(edge, peerToken, false));
        Node peerOnly = node("lazy-peer-only", chunked, files, peers(edge, peerToken, true))) {
      SnapshotManifest ma = snapshot(maker, function, a);
      SnapshotManifest mb = snapshot(maker, other, b);
      views.get(1).upload(ma, maker.cache().entryDir(a));
      // The dedup node holds the other function's snapshot, fetched like any remote one.
      try (MicroVm vm = dedup.manager().start(other, Revision.of(b)).vm()) {
        client.get(vm.endpoint(), "/");
      }
      Map<String, Node> nodes = new LinkedHashMap<>();
      nodes.put(ModelRow.LOCAL_RESTORE.label(), maker);
      nodes.put("remote, whole files", wholeNode);
      nodes.put(ModelRow.REMOTE_CHUNKS.label(), bare);
      nodes.put("remote, chunks + " + other.id() + " cached", dedup);
      nodes.put("remote, chunks (peer)", peerChunks);
      if (files != null) {
        nodes.put("remote, lazy", lazy);
        nodes.put("remote, lazy (peer)", peerLazy);
        nodes.put("remote, lazy (peer only)", peerOnly);
      }
      Map<String, RestoreFigures.Samples> samples = new LinkedHashMap<>();
      nodes.keySet().forEach(k -> samples.put(k, new RestoreFigures.Samples()));
      // The bench plays the gateway: it hands each restore the digest of the manifest the maker
      // uploaded, as the gateway hands an invocation the digest the maker reported.
      Rounds rounds = new Rounds(function, Revision.of(a), ManifestDigest.of(ma), maker);
      for (int i = 1 - warmup; i <= restores; i++) {
        StringBuilder line =
            new StringBuilder(
                i < 1
                    ? String.format(Locale.ROOT, "  warm-up %d/%d:", i + warmup, warmup)
                    : String.format(Locale.ROOT, "  round %2d/%d:", i, restores));
        for (var e : nodes.entrySet()) {
          line.append(
              rounds.restore(e.getKey(), e.getValue(), i >= 1 ? samples.get(e.getKey()) : null));
        }
        out.println(line + " ms");
      }
      double local = LatencySummary.of(samples.get(ModelRow.LOCAL_RESTORE.label()).ms).p50();
      List<RestoreFigures> figures = new ArrayList<>();
      Map<String, List<Double>> latencies = new LinkedHashMap<>();
      samples.forEach(
          (method, s) -> {
            figures.add(s.figures(method, local));
            latencies.put(method, s.ms);
          });
      return new Outcome(figures, latencies, ChunkDedup.between(ma, mb));
    } finally {
      delete(views, chunked, a, b);
    }
  }

  private static void delete(
      List<SnapshotStore> views, RemoteSnapshotStore chunked, String a, String b)
      throws IOException {
    for (SnapshotStore s : views) {
      for (String r : List.of(a, b)) {
        s.delete(r);
      }
    }
    chunked.collectGarbage(null, phase -> {});
  }

  /** One restore per method and round, read from the machine's and this process's CPU counters. */
  private final class Rounds {
    private final FunctionSpec function;
    private final Revision revision;
    private final ManifestDigest digest;
    private final Node maker;
    private final MachineCpu cpu = MachineCpu.system();
    private final ProcessCpu parts = ProcessCpu.self();

    Rounds(FunctionSpec function, Revision revision, ManifestDigest digest, Node maker) {
      this.function = function;
      this.revision = revision;
      this.digest = digest;
      this.maker = maker;
    }

    /**
     * Restores the function on {@code n} (from its cache only on the node that made it), answers
     * one request, and adds the figures to {@code got} ({@code null}: a warm-up round).
     *
     * @return the round line's entry: latency (fetch+startup)
     */
    String restore(String method, Node n, RestoreFigures.Samples got) throws Exception {
      if (n != maker) {
        n.cache().remove(revision.value());
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
      ColdStart start = n.manager().start(function, revision, Optional.of(digest));
      String entry;
      try (MicroVm vm = start.vm()) {
        client.get(vm.endpoint(), "/");
        double elapsed = (System.nanoTime() - t0) / 1e6;
        long answered = n.store().receivedBytes();
        long waits = n.manager().lazyReadWaits() - waits0;
        Duration waited = n.manager().lazyReadWaitTime().minus(waited0);
        start.firstAnswered();
        OptionalLong cpu1 = cpu.busyMillis();
        Map<String, Double> spentByPart = parts.sample().millisSince(parts0);
        if (start.source() == ColdStart.Source.NONE) {
          throw new IllegalStateException(
              method + " booted instead of restoring: " + start.fallback().orElse("?"));
        }
        if (got != null) {
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
        entry =
            String.format(
                Locale.ROOT,
                " %6.0f (%.0f+%.0f)",
                elapsed,
                start.fetch().toNanos() / 1e6,
                start.startup().toNanos() / 1e6);
      }
      // A lazy restore's background fetch ends before the next node's round starts.
      n.manager().awaitBackgroundFetches();
      if (got != null) {
        got.allBytes.add((double) (n.store().receivedBytes() - received));
      }
      return entry;
    }
  }

  /** Boots {@code function}, invokes it once and snapshots it (cached and uploaded). */
  private SnapshotManifest snapshot(Node node, FunctionSpec function, String revision)
      throws Exception {
    ColdStart first = node.manager().start(function, Revision.of(revision));
    client.get(first.vm().endpoint(), "/");
    long t0 = System.nanoTime();
    Snapshotted made =
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

  private Node node(String name, RemoteSnapshotStore store, FileServer files) throws Exception {
    return node(name, store, files, PeerReads.none());
  }

  /**
   * How a node reads from the maker's peer edge {@code edge}; its working set as chunks from the
   * peer ({@code workingSetFromPeer}) or as the working pages from storage.
   */
  private static PeerReads peers(PeerServer edge, BearerToken token, boolean workingSetFromPeer) {
    HttpClient http = PeerHttp.client();
    StaticPeerDirectory directory =
        new StaticPeerDirectory(List.of(new PeerEndpoint("local", edge.uri())), token, http);
    directory.refreshStale().join();
    return PeerReads.builder(directory, token)
        .http(http)
        .workingSetFromPeers(workingSetFromPeer)
        .build();
  }

  private Node node(String name, RemoteSnapshotStore store, FileServer files, PeerReads peers)
      throws Exception {
    return new Node(
        SnapshotNode.builder(vmm, guest, root.resolve(name))
            .manager(
                b -> {
                  b.mode(SnapshotMode.REMOTE)
                      .remote(store)
                      .chunkSize(chunk)
                      .fetchParallelism(fetchParallelism)
                      .peers(peers);
                  return files == null ? b : b.files(files);
                })
            .build(),
        store);
  }

  /** A node restoring from {@code store}, and the store, whose received bytes it reads. */
  private record Node(SnapshotNode node, RemoteSnapshotStore store) implements AutoCloseable {
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
