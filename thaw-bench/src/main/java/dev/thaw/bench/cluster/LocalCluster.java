package dev.thaw.bench.cluster;

import dev.thaw.core.snapshot.SnapshotMode;
import dev.thaw.http.BearerToken;
import dev.thaw.node.peer.PeerTokens;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import software.amazon.awssdk.auth.credentials.AwsCredentials;

/**
 * Node agents as separate processes on this machine ({@code thaw agent}, each with its own data
 * directory and port), for {@code thaw demo}, {@code thaw serve}, the benches and the cluster
 * tests.
 *
 * <p>Each agent runs under {@code setpriv --pdeathsig TERM}: if this JVM dies, its agents get
 * SIGTERM and their shutdown hooks stop their VMs. {@link #close()} stops them the same way. Run as
 * root, each agent also gets its own mount namespace ({@code unshare --mount}), as a container
 * would: the file server it mounts for lazy restores is seen only by it and its VMs, and goes away
 * with them even when the agent is killed and cannot unmount it.
 *
 * <p>The agents ask for the cluster's management token ({@link Config#token}), which each is given
 * in its environment ({@value #TOKEN_ENV}), never on its command line. They serve each other's
 * cached chunks behind the peer token in {@code <root>/peer-token} (made there, 0600, when missing;
 * its path is on their command lines, not the token), each on a peer port of 127.0.0.1 chosen
 * before any agent starts, so each is given the others' {@link #peers()} ({@code --peer}).
 */
public final class LocalCluster implements AutoCloseable {
  /** The command line's entry point, which the agents run as {@code thaw agent}. */
  public static final String THAW_MAIN = "dev.thaw.cli.Thaw";

  /** The file under the root that holds the agents' peer token. */
  public static final String PEER_TOKEN_FILE = "peer-token";

  /** The environment variable that hands a {@code thaw} process its management token. */
  public static final String TOKEN_ENV = "THAW_TOKEN";

  private final Map<String, Process> processes = new LinkedHashMap<>();
  private final Map<String, URI> agents = new LinkedHashMap<>();
  private final Map<String, URI> peers = new LinkedHashMap<>();
  private Path peerToken;

  /**
   * How to start the agents.
   *
   * @param nodes how many agents, named {@code node-1} to {@code node-N}
   * @param root the directory that holds each agent's data directory and the shared image cache
   * @param mode the agents' snapshot mode
   * @param cacheRemote whether the agents cache remote snapshots on their own disk
   * @param s3Endpoint the object store of remote snapshots
   * @param credentials the object store's credentials, handed on in the agents' environment
   * @param keepAlive how long an idle instance stays warm
   * @param maxInstances instances per agent
   * @param token the cluster's management token
   */
  public record Config(
      int nodes,
      Path root,
      SnapshotMode mode,
      boolean cacheRemote,
      URI s3Endpoint,
      AwsCredentials credentials,
      Duration keepAlive,
      int maxInstances,
      BearerToken token) {}

  private LocalCluster() {}

  /** Starts the agents and waits until each answers its health check. */
  public static LocalCluster start(Config c) throws IOException, InterruptedException {
    return start(c, Map.of());
  }

  /** Starts the agents with {@code env} added to their environment (their option defaults). */
  public static LocalCluster start(Config c, Map<String, String> env)
      throws IOException, InterruptedException {
    LocalCluster cluster = new LocalCluster();
    try {
      cluster.peerToken = c.root().resolve(PEER_TOKEN_FILE);
      PeerTokens.readOrCreate(cluster.peerToken);
      for (int i = 1; i <= c.nodes(); i++) {
        cluster.peers.put("node-" + i, URI.create("http://127.0.0.1:" + freePort()));
      }
      for (int i = 1; i <= c.nodes(); i++) {
        cluster.startAgent("node-" + i, c, env);
      }
      for (var e : cluster.agents.entrySet()) {
        cluster.awaitHealthy(e.getKey(), e.getValue(), Duration.ofSeconds(180));
      }
      return cluster;
    } catch (IOException | InterruptedException | RuntimeException e) {
      cluster.close();
      throw e;
    }
  }

  private void startAgent(String name, Config c, Map<String, String> env) throws IOException {
    int port = freePort();
    Path dir = Files.createDirectories(c.root().resolve(name));
    List<String> cmd =
        childCommand(
            ownMountNamespace(),
            List.of(
                "agent",
                "--name",
                name,
                "--port",
                Integer.toString(port),
                "--mode",
                c.mode().name().toLowerCase(Locale.ROOT),
                "--data-dir",
                dir.toString(),
                // One image cache for the machine: a root image is built once, and a snapshot
                // names the same file on every node.
                "--images-dir",
                c.root().resolve("images").toString(),
                "--keep-alive",
                c.keepAlive().toMillis() + "ms",
                "--max-instances",
                Integer.toString(c.maxInstances()),
                "--s3-endpoint",
                c.s3Endpoint().toString(),
                "--peer-token-file",
                peerToken.toString(),
                "--peer-address",
                peers.get(name).getAuthority()));
    if (!c.cacheRemote()) {
      cmd.add("--no-remote-cache");
    }
    // Each agent reads the others' cached chunks before storage.
    peers.forEach(
        (other, uri) -> {
          if (!other.equals(name)) {
            cmd.add("--peer");
            cmd.add(other + "=" + uri);
          }
        });
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("agent.log").toFile());
    pb.environment().put("AWS_ACCESS_KEY_ID", c.credentials().accessKeyId());
    pb.environment().put("AWS_SECRET_ACCESS_KEY", c.credentials().secretAccessKey());
    pb.environment().put("AWS_REGION", "us-east-1");
    pb.environment().put("THAW_LOG_LEVEL", "INFO");
    pb.environment().putAll(env);
    // In the environment, which only this user can read; a command line is every user's (ps).
    pb.environment().put(TOKEN_ENV, c.token().value());
    processes.put(name, pb.start());
    agents.put(name, URI.create("http://127.0.0.1:" + port));
  }

  /**
   * The command line of {@code thaw ARGS} in a child JVM of this one (same Java, same class path),
   * which gets SIGTERM when this process dies, so no child outlives it.
   */
  public static List<String> childCommand(List<String> args) {
    return childCommand(List.of(), args);
  }

  /** {@link #childCommand(List)} with {@code wrapper}'s command line between setpriv and java. */
  private static List<String> childCommand(List<String> wrapper, List<String> args) {
    List<String> cmd = new ArrayList<>(List.of("setpriv", "--pdeathsig", "TERM"));
    cmd.addAll(wrapper);
    cmd.addAll(
        List.of(
            ProcessHandle.current().info().command().orElse("java"),
            "-cp",
            System.getProperty("java.class.path"),
            THAW_MAIN));
    cmd.addAll(args);
    return cmd;
  }

  /**
   * As root, {@code unshare}'s command line that runs an agent in a mount namespace of its own;
   * otherwise none (the agent cannot mount a file server then, and restores without one).
   */
  private static List<String> ownMountNamespace() {
    try {
      if (Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"))) {
        return List.of("unshare", "--mount", "--propagation", "private");
      }
    } catch (IOException | UnsupportedOperationException e) {
      // Not Linux: no namespaces either.
    }
    return List.of();
  }

  private void awaitHealthy(String name, URI uri, Duration timeout)
      throws IOException, InterruptedException {
    HttpClient http = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!processes.get(name).isAlive()) {
        throw new IOException("agent " + name + " exited during start; see its agent.log");
      }
      try {
        HttpRequest r =
            HttpRequest.newBuilder(uri.resolve("/health")).timeout(Duration.ofSeconds(1)).build();
        if (http.send(r, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // Still starting.
      }
      Thread.sleep(100);
    }
    throw new IOException("agent " + name + " did not become healthy within " + timeout);
  }

  /** Each agent's name and address, in the order they started. */
  public Map<String, URI> agents() {
    return Map.copyOf(agents);
  }

  /** Each agent's name and peer base URL (its peer edge), in the order they started. */
  public Map<String, URI> peers() {
    return java.util.Collections.unmodifiableMap(new LinkedHashMap<>(peers));
  }

  /**
   * Kills one agent at once (SIGKILL), as a crash would. Its VMs die with it, and its mount
   * namespace with them.
   */
  public void kill(String name) throws InterruptedException {
    Process p = processes.get(name);
    p.destroyForcibly();
    p.waitFor(10, TimeUnit.SECONDS);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** Stops every agent: SIGTERM, so each stops its VMs, then SIGKILL after 20 s. */
  @Override
  public void close() throws InterruptedException {
    processes.values().forEach(Process::destroy);
    for (Process p : processes.values()) {
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        p.waitFor(5, TimeUnit.SECONDS);
      }
    }
  }
}
