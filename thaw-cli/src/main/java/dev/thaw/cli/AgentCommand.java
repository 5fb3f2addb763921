package dev.thaw.cli;

import dev.thaw.core.cache.CacheAdvertiser;
import dev.thaw.core.cache.EvictionPolicy;
import dev.thaw.core.config.ByteSize;
import dev.thaw.core.function.BuiltinFunctions;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.function.Revision;
import dev.thaw.core.lifecycle.KeepAlivePolicy;
import dev.thaw.core.snapshot.SnapshotMode;
import dev.thaw.fuse.FuseFileServer;
import dev.thaw.http.BearerToken;
import dev.thaw.kubernetes.KubernetesCacheAdvertiser;
import dev.thaw.kubernetes.NodeSnapshotCaches;
import dev.thaw.node.agent.AgentServer;
import dev.thaw.node.agent.ImageFunctions;
import dev.thaw.node.agent.NodeAgent;
import dev.thaw.node.logs.LogStore;
import dev.thaw.node.peer.PeerDirectory;
import dev.thaw.node.peer.PeerServer;
import dev.thaw.node.protocol.CacheReport;
import dev.thaw.node.snapshot.RestorePhaseTimers;
import dev.thaw.node.snapshot.SnapshotNode;
import dev.thaw.qemu.GuestImage;
import dev.thaw.qemu.QemuVmm;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code thaw agent}: the node agent daemon. On TCP it asks for the cluster's management token:
 * from {@code --token-file} or {@code THAW_TOKEN}, else the default data directory's token file
 * (made there if missing); on its Unix socket the socket file's mode stands in for it.
 */
@Command(
    name = "agent",
    mixinStandardHelpOptions = true,
    description = {
      "Runs a node agent: function instances in microVMs and their snapshots.",
      "Serves an HTTP API on 127.0.0.1 and stops every VM on exit (Ctrl-C included)."
    })
final class AgentCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--name",
      defaultValue = "${env:THAW_NODE_NAME:-node-1}",
      description = "Node name (default: ${DEFAULT-VALUE}).")
  String name;

  @Option(
      names = "--port",
      defaultValue = "${env:THAW_AGENT_PORT:-8700}",
      description = "HTTP port on 127.0.0.1; 0 for any (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(
      names = "--mode",
      defaultValue = "${env:THAW_SNAPSHOT_MODE:-local}",
      description = "Snapshot mode: disabled, local or remote (default: ${DEFAULT-VALUE}).")
  String mode;

  @Option(
      names = "--no-remote-cache",
      description = "Remote mode without caching fetched snapshots.")
  boolean noRemoteCache;

  @Option(
      names = "--chunk-size",
      defaultValue = "${env:THAW_CHUNK_SIZE:-64KiB}",
      description =
          "Chunk size of the snapshots this node makes: their unit of storage, transfer and"
              + " dedup (default: ${DEFAULT-VALUE}).")
  String chunkSize;

  @Option(
      names = "--keep-alive",
      defaultValue = "60s",
      converter = DurationConverter.class,
      description = "Idle time before an instance stops (default: ${DEFAULT-VALUE}).")
  Duration keepAlive;

  @Option(
      names = "--keep-alive-policy",
      defaultValue = "fixed",
      description =
          "fixed (every idle instance stays --keep-alive), or hybrid (per function, from the"
              + " histogram of its idle times; --keep-alive while it has too few)"
              + " (default: ${DEFAULT-VALUE}).")
  String keepAlivePolicy;

  @Option(
      names = "--eviction",
      defaultValue = "${env:THAW_EVICTION:-lru}",
      description =
          "Which snapshot leaves a full cache: lru (least recently used) or gdsf"
              + " (greedy-dual-size-frequency: small, often restored snapshots stay)"
              + " (default: ${DEFAULT-VALUE}).")
  String eviction;

  @Option(
      names = "--scrub-rate",
      defaultValue = "${env:THAW_SCRUB_RATE:-64MiB}",
      description =
          "Bytes per second the background scrub may read to re-hash cached snapshots against"
              + " their manifests, e.g. 64MiB; 0 turns it off (default: ${DEFAULT-VALUE}).")
  String scrubRate;

  @Option(
      names = "--log-bytes",
      defaultValue = "${env:THAW_LOG_BYTES:-8MiB}",
      description =
          "Most disk one function's logs take on this node, old instances' lines included"
              + " (default: ${DEFAULT-VALUE}).")
  String logBytes;

  @Option(
      names = "--log-rate",
      defaultValue = "${env:THAW_LOG_RATE:-1MiB}",
      description =
          "Most bytes per second one instance's output is read at; a function writing faster"
              + " waits in its writes (default: ${DEFAULT-VALUE}).")
  String logRate;

  @Option(
      names = "--max-instances",
      defaultValue = "8",
      description = "Instances this node runs at once (default: ${DEFAULT-VALUE}).")
  int maxInstances;

  @Option(
      names = "--vmm-pool",
      defaultValue = "${env:THAW_VMM_POOL:-0}",
      description =
          "QEMUs to keep started ahead for restores; each idle one costs about 31 MiB and a"
              + " restore of a built-in function takes one instead of starting QEMU (default:"
              + " ${DEFAULT-VALUE}, none).")
  int vmmPool;

  @Option(
      names = "--vmm-staged",
      defaultValue = "${env:THAW_VMM_STAGED:-0}",
      description =
          "Restores to keep staged ahead on the pool's QEMUs (needs --vmm-pool): each snapshot"
              + " restored here is loaded again into a pooled QEMU in the pause after, paused, and"
              + " its next cold start only resumes it; each costs about 38 MiB (default:"
              + " ${DEFAULT-VALUE}, none).")
  int vmmStaged;

  @Option(
      names = "--prefetch",
      defaultValue = "${env:THAW_PREFETCH:-off}",
      description =
          "Remote mode: off, or predicted (after each arrival of a function here, fetch its"
              + " snapshot into the cache shortly before the next is predicted, from the histogram"
              + " of its gaps) (default: ${DEFAULT-VALUE}).")
  String prefetch;

  @Option(
      names = "--prefetch-minute",
      defaultValue = "${env:THAW_PREFETCH_MINUTE:-60s}",
      converter = DurationConverter.class,
      description =
          "The minute the prefetch predictor counts gaps in; shorter only for a trace replayed"
              + " faster than real time (default: ${DEFAULT-VALUE}).")
  Duration prefetchMinute;

  @Option(
      names = "--no-builtins",
      description = "Do not deploy the built-in functions (hello, stateful).")
  boolean noBuiltins;

  @Option(
      names = "--socket",
      defaultValue = "${env:THAW_AGENT_SOCKET}",
      description = "Also serve the API on this Unix socket (default: <data-dir>/agent.sock).")
  java.nio.file.Path socket;

  @Option(
      names = "--advertise",
      defaultValue = "${env:THAW_ADVERTISE:-none}",
      description =
          "Where to announce the cached revisions: none, or kubernetes (a NodeSnapshotCache"
              + " object named after --name; in-cluster credentials) (default: ${DEFAULT-VALUE}).")
  String advertise;

  @Option(
      names = "--lazy-restore",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description =
          "Remote mode: restore lazily (the guest resumes once its device state and recorded"
              + " working set are here; the rest follows), serving memory files through FUSE"
              + " under <data-dir>/served. Without FUSE, restores fetch whole snapshots"
              + " (default: ${DEFAULT-VALUE}).")
  boolean lazyRestore;

  @Mixin NodeOptions node;
  @Mixin TokenOptions tokens;
  @Mixin ImageOptions images;
  @Mixin S3Options s3;
  @Mixin PeerOptions peers;

  /** Set when the cache is advertised on Kubernetes: it carries the peer URL too. */
  private KubernetesCacheAdvertiser kubernetes;

  /** Set when the peers are found on Kubernetes: every node's NodeSnapshotCache, watched. */
  private NodeSnapshotCaches peerView;

  /**
   * On Kubernetes ({@code --advertise=kubernetes}), the peers holding a revision as the other
   * agents' {@code NodeSnapshotCache} objects name them (their {@code spec.peerUrl}), from one
   * informer; elsewhere none but the {@code --peer} ones.
   */
  private Optional<PeerDirectory> discoveredPeers() {
    if (!"kubernetes".equals(advertise)) {
      return Optional.empty();
    }
    peerView = NodeSnapshotCaches.start(new KubernetesClientBuilder().build());
    return Optional.of(KubernetesPeerDirectory.of(name, peerView));
  }

  private CacheAdvertiser advertiser() {
    return switch (advertise) {
      case "none" -> CacheAdvertiser.none();
      case "kubernetes" ->
          kubernetes = new KubernetesCacheAdvertiser(new KubernetesClientBuilder().build(), name);
      default ->
          throw new IllegalArgumentException(
              "--advertise must be none or kubernetes: '" + advertise + "'");
    };
  }

  @Override
  public Integer call() throws Exception {
    SnapshotMode snapshotMode = SnapshotMode.parse(mode);
    BearerToken token = tokens.forServer(TokenOptions.defaultFile(System.getenv()));
    KeepAlivePolicy keepAlives;
    EvictionPolicy evictionPolicy;
    long scrubBytesPerSecond;
    LogStore logs;
    long logBytesPerSecond;
    try {
      logs =
          new LogStore(
              node.dataDir().resolve("logs").resolve(name), name, ByteSize.parse(logBytes));
      logBytesPerSecond = ByteSize.parse(logRate);
      if (logBytesPerSecond < 1024) {
        throw new IllegalArgumentException("--log-rate is 1KiB or more: " + logRate);
      }
      keepAlives = KeepAlivePolicy.named(keepAlivePolicy, keepAlive);
      evictionPolicy = EvictionPolicy.named(eviction);
      scrubBytesPerSecond = ByteSize.parse(scrubRate);
      if (vmmPool < 0 || vmmPool > 64) {
        throw new IllegalArgumentException("--vmm-pool is 0 to 64: " + vmmPool);
      }
      if (vmmStaged < 0 || vmmStaged > 64) {
        throw new IllegalArgumentException("--vmm-staged is 0 to 64: " + vmmStaged);
      }
      if (vmmStaged > 0 && vmmPool == 0) {
        throw new IllegalArgumentException(
            "--vmm-staged needs --vmm-pool (staged restores"
                + " are loaded into the pool's QEMUs)");
      }
      if (!prefetch.equals("off") && !prefetch.equals("predicted")) {
        throw new IllegalArgumentException("--prefetch is off or predicted: '" + prefetch + "'");
      }
      if (prefetchMinute.toMillis() < 1) {
        throw new IllegalArgumentException("--prefetch-minute is 1ms or more: " + prefetchMinute);
      }
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    java.util.Set<Integer> peerPorts;
    dev.thaw.node.snapshot.fill.PeerReads peerReads;
    try {
      peerPorts = peers.refusedEgressPorts();
      peerReads = peers.reads(this::discoveredPeers);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    meters.config().commonTags("node", name);
    GuestImage image = GuestImage.ensure(System.out::println);
    QemuVmm vmm =
        QemuVmm.builder()
            .image(image)
            .logs(logs)
            .logRate(logBytesPerSecond)
            .workRoot(node.dataDir().resolve("vms").resolve(name))
            .pool(vmmPool)
            .staged(vmmStaged)
            // Agents of this user on this machine keep their pools' work out of each other's
            // cold starts.
            .hostQuiet(QemuVmm.defaultHostQuiet())
            .restorePhases(new RestorePhaseTimers(meters))
            .refusedEgressPorts(peerPorts)
            .build();
    S3Options.Remote remote = snapshotMode == SnapshotMode.REMOTE ? s3.open(node.dataDir()) : null;
    ImageFunctions imageFunctions;
    try {
      imageFunctions =
          images.functions(node.dataDir(), remote == null ? null : remote.store().rootImages());
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    Optional<FuseFileServer> served =
        snapshotMode == SnapshotMode.REMOTE && lazyRestore
            ? LazyRestoreMount.mount(node.dataDir().resolve("served").resolve(name), System.out)
            : Optional.empty();
    SnapshotNode snapshots =
        SnapshotNode.builder(vmm, image.digests(), node.dataDir())
            .cacheCapacity(node.cacheCapacityBytes())
            .eviction(evictionPolicy)
            .scrubRate(scrubBytesPerSecond)
            .advertiser(advertiser())
            .meters(meters)
            .manager(
                b -> {
                  b.mode(snapshotMode)
                      .localFunction(imageFunctions::localize)
                      .remote(remote == null ? null : remote.store())
                      .cacheRemote(!noRemoteCache)
                      .chunkSize(Math.toIntExact(ByteSize.parse(chunkSize)))
                      .peers(peerReads);
                  served.ifPresent(b::files);
                  // Root images a restore needs are served as they fill, like memory.
                  served
                      .filter(f -> remote != null)
                      .ifPresent(f -> b.rootImages(imageFunctions.lazily(f)));
                  return b;
                })
            .build();
    NodeAgent.Builder agentBuilder =
        NodeAgent.builder()
            .name(name)
            .logs(logs)
            .manager(snapshots.manager())
            .keepAlivePolicy(keepAlives)
            .maxInstances(maxInstances)
            .images(imageFunctions)
            .meters(meters);
    if (prefetch.equals("predicted")) {
      agentBuilder.prefetchPredicted(prefetchMinute);
    }
    NodeAgent agent = agentBuilder.build();
    if (!noBuiltins) {
      for (FunctionSpec f : BuiltinFunctions.all()) {
        agent.deploy(Revision.of(f.id()), f);
      }
    }
    AgentServer server =
        AgentServer.builder(agent, token)
            .port(port)
            .socket(socket != null ? socket : node.dataDir().resolve("agent.sock"))
            .snapshots(snapshots.cache()::revisions)
            .cache(() -> CacheReport.of(name, snapshots.cache()))
            .metrics(meters::scrape)
            .start();
    Optional<PeerServer> peerServer;
    try {
      peerServer = peers.start(name, snapshots.cache(), meters);
    } catch (IllegalArgumentException e) {
      server.close();
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    if (kubernetes != null) {
      peerServer.ifPresent(p -> kubernetes.peerUrl(p.uri()));
    }
    System.out.printf(
        "thaw agent %s: %s mode, cache %s, listening on %s and %s%s%n",
        name,
        snapshotMode.name().toLowerCase(java.util.Locale.ROOT),
        node.cacheDir(),
        server.uri(),
        server.socket().orElseThrow(),
        peerServer.map(p -> ", peers on " + p.uri()).orElse(""));
    Daemon.runUntilShutdown(
        "thaw-agent",
        () -> {
          peerServer.ifPresent(PeerServer::close);
          if (peerView != null) {
            peerView.close();
          }
          server.close();
          agent.close();
          vmm.close();
          try {
            snapshots.close();
            if (remote != null) {
              remote.close();
            }
            served.ifPresent(FuseFileServer::close);
          } catch (Exception e) {
            System.err.println("shutdown: " + e.getMessage());
          }
        });
    return 0;
  }
}
