package dev.thaw.cli;

import dev.thaw.bench.cluster.LocalCluster;
import dev.thaw.core.placement.ExpectedStart;
import dev.thaw.core.placement.PlacementScorer;
import dev.thaw.core.snapshot.SnapshotMode;
import dev.thaw.http.BearerToken;
import dev.thaw.node.gateway.Deployments;
import dev.thaw.node.gateway.Gateway;
import dev.thaw.node.gateway.GatewayServer;
import dev.thaw.qemu.GuestImage;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code thaw serve}: a platform on this machine that stays up — the embedded S3 server, N node
 * agents (separate processes) and the gateway with its API and plain HTTP — until Ctrl-C or
 * SIGTERM. Its state lives under {@code --data-dir}: the deployments the gateway recorded, the
 * embedded store's snapshots, each node's snapshot cache and the shared root images; a restart
 * deploys the recorded functions again and restores them from their snapshots.
 *
 * <p>The management token lives in {@code <data-dir>/token} (0600, made on the first start, kept
 * afterwards) unless {@code --token-file} or {@code THAW_TOKEN} gives one; the agents get it in
 * their environment. The agents' peer token, with which they read each other's cached chunks, lives
 * in {@code <data-dir>/peer-token} (made by {@link LocalCluster} the same way).
 */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = {
      "Runs Thaw on this machine until stopped (Ctrl-C or SIGTERM).",
      "Starts the embedded S3 server, node agents and the gateway. Deploy with `thaw deploy`,",
      "call with `thaw invoke` or plain HTTP at",
      "http://127.0.0.1:PORT/NAME/, watch it in a browser at http://127.0.0.1:PORT/ui/.",
      "Deployments and snapshots survive a restart."
    })
final class ServeCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--nodes",
      defaultValue = "1",
      description = "Node agents (default: ${DEFAULT-VALUE}).")
  int nodes;

  @Option(
      names = "--port",
      defaultValue = "${env:THAW_GATEWAY_PORT:-8080}",
      description =
          "The gateway's port on 127.0.0.1; 0 picks a free one (default: ${DEFAULT-VALUE}).")
  int port;

  @Mixin SnapshotModeOption mode;

  @Option(
      names = "--placement",
      defaultValue = ExpectedStart.POLICY,
      description =
          "Which policy places cold starts: "
              + PlacementOption.VALUES
              + " (default: ${DEFAULT-VALUE}).")
  String placement;

  @Option(
      names = "--data-dir",
      defaultValue = "${env:THAW_SERVE_DIR}",
      description =
          "Where its state lives (default: $THAW_SERVE_DIR, else ~/.local/share/thaw/serve).")
  Path dataDir;

  @Option(
      names = "--keep-alive",
      defaultValue = "60s",
      converter = DurationConverter.class,
      description = "How long an idle instance stays warm (default: ${DEFAULT-VALUE}).")
  Duration keepAlive;

  @Mixin TokenOptions tokens;

  @Option(
      names = "--max-instances",
      defaultValue = "8",
      description = "Instances per node at once (default: ${DEFAULT-VALUE}).")
  int maxInstances;

  @Override
  public Integer call() throws Exception {
    SnapshotMode snapshotMode;
    try {
      snapshotMode = mode.parse();
      PlacementScorer.named(placement);
      if (nodes < 1 || nodes > 64) {
        throw new IllegalArgumentException("--nodes must be within 1..64: " + nodes);
      }
      if (maxInstances < 1) {
        throw new IllegalArgumentException("--max-instances must be positive: " + maxInstances);
      }
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    Path dir =
        Files.createDirectories(
                dataDir != null ? dataDir : TokenOptions.defaultDataDir(System.getenv()))
            .toAbsolutePath();
    FileChannel lockFile =
        FileChannel.open(
            dir.resolve("serve.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock lock = lockFile.tryLock();
    if (lock == null) {
      System.err.println("thaw serve: another thaw serve uses " + dir);
      return 1;
    }
    Optional<String> busy = portTaken(port);
    if (busy.isPresent()) {
      System.err.println("thaw serve: " + busy.get());
      return 1;
    }
    BearerToken token;
    try {
      token = tokens.forServer(dir.resolve("token"));
    } catch (IOException e) {
      System.err.println("thaw serve: " + e.getMessage());
      return 1;
    }
    GuestImage.ensure(System.out::println);
    S3Options.Remote s3 = S3Options.embedded(dir.resolve("s3"));
    LocalCluster cluster = null;
    Gateway gateway = null;
    GatewayServer server;
    try {
      cluster =
          LocalCluster.start(
              new LocalCluster.Config(
                  nodes,
                  dir,
                  snapshotMode,
                  true,
                  s3.endpoint(),
                  s3.credentials(),
                  keepAlive,
                  maxInstances,
                  token));
      Gateway.Builder b =
          PlacementOption.applyTo(placement, Gateway.builder().token(token))
              .deployments(Deployments.at(dir.resolve("deployments.json")));
      cluster.agents().forEach(b::node);
      gateway = b.build();
      server = GatewayServer.start(gateway, port, token);
    } catch (IOException | RuntimeException e) {
      stop(null, gateway, cluster, s3);
      System.err.println("thaw serve: cannot start: " + e.getMessage());
      return 1;
    }
    System.out.printf(
        "thaw serve: %d node(s), %s snapshots, %s placement; state in %s%n",
        nodes, snapshotMode.name().toLowerCase(Locale.ROOT), placement, dir);
    System.out.printf("  s3:      %s (embedded)%n", s3.endpoint());
    for (Map.Entry<String, java.net.URI> a : cluster.agents().entrySet()) {
      System.out.printf(
          "  %-8s %s (peers: %s)%n",
          a.getKey() + ":", a.getValue(), cluster.peers().get(a.getKey()));
    }
    System.out.printf("  gateway: %s%n", server.uri());
    System.out.printf(
        "  token:   %s%n",
        tokens.tokenFile != null
            ? tokens.tokenFile
            : System.getenv(TokenOptions.ENV) != null
                ? "$" + TokenOptions.ENV
                : dir.resolve("token"));
    System.out.printf("  console: %s/ui/ (log in with the token)%n", server.uri());
    System.out.printf("  peer token: %s%n", dir.resolve(LocalCluster.PEER_TOKEN_FILE));
    gateway
        .redeployRecorded(Duration.ofMinutes(10))
        .forEach(
            (name, error) ->
                System.out.printf(
                    "  redeployed %s%s%n", name, error.map(e -> ": FAILED " + e).orElse("")));
    String gatewayFlag = server.uri().getPort() == 8080 ? "" : " --gateway " + server.uri();
    System.out.printf(
        "ready: thaw deploy NAME --image REF%s, then curl %s/NAME/%n", gatewayFlag, server.uri());
    GatewayServer s = server;
    Gateway g = gateway;
    LocalCluster c = cluster;
    Daemon.runUntilShutdown(
        "thaw-serve",
        () -> {
          stop(s, g, c, s3);
          try {
            lock.release();
            lockFile.close();
          } catch (IOException e) {
            // The lock goes with the process anyway.
          }
          System.out.println("thaw serve: stopped");
        });
    return 0;
  }

  /** Stops what started, front first, so nothing is left running. */
  private static void stop(
      GatewayServer server, Gateway gateway, LocalCluster cluster, S3Options.Remote s3) {
    if (server != null) {
      server.close();
    }
    if (gateway != null) {
      gateway.close();
    }
    try {
      if (cluster != null) {
        cluster.close();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      s3.close();
    } catch (Exception e) {
      // Stopping: nothing to report to.
    }
  }

  /** Why {@code port} cannot be the gateway's, checked before anything starts. */
  private static Optional<String> portTaken(int port) {
    if (port == 0) {
      return Optional.empty();
    }
    try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      return Optional.empty();
    } catch (IOException e) {
      return Optional.of(
          "port " + port + " on 127.0.0.1 is taken (another thaw serve?); choose one with --port");
    }
  }
}
