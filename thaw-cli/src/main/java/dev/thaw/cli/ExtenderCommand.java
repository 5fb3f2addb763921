package dev.thaw.cli;

import dev.thaw.kubernetes.ExtenderServer;
import dev.thaw.kubernetes.NodeSnapshotCaches;
import dev.thaw.kubernetes.SnapshotLocalityExtender;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code thaw extender}: the kube-scheduler extender for snapshot locality. */
@Command(
    name = "extender",
    mixinStandardHelpOptions = true,
    description = {
      "Serves kube-scheduler's prioritize verb: nodes caching the pod's revision score 10.",
      "Reads NodeSnapshotCache objects through an informer (in-cluster credentials).",
      "Serves at once: /healthz answers 200 from the start, /readyz and /prioritize answer 503",
      "with the reason until the informer has synced (it retries while the API server is down)."
    })
final class ExtenderCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--port",
      defaultValue = "8888",
      description = "Port (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(
      names = "--host",
      defaultValue = "0.0.0.0",
      description = "Address to listen on (default: ${DEFAULT-VALUE}).")
  String host;

  @Option(
      names = "--read-timeout",
      defaultValue = "30s",
      converter = DurationConverter.class,
      description =
          "Close a connection silent this long, mid-request or between requests"
              + " (default: ${DEFAULT-VALUE}).")
  Duration readTimeout;

  /** The extender serving: its informer and its HTTP server. */
  record Running(KubernetesClient client, NodeSnapshotCaches caches, ExtenderServer server)
      implements AutoCloseable {
    URI uri() {
      return server.uri();
    }

    @Override
    public void close() {
      server.close();
      caches.close();
      client.close();
    }
  }

  @Override
  public Integer call() throws Exception {
    if (readTimeout.isNegative() || readTimeout.isZero()) {
      throw new ParameterException(
          spec.commandLine(), "--read-timeout must be positive: " + readTimeout);
    }
    Running running = start(new KubernetesClientBuilder().build());
    System.out.printf(
        "thaw extender: listening on %s:%d (ready once NodeSnapshotCache objects are listed)%n",
        host, running.uri().getPort());
    Daemon.runUntilShutdown("thaw-extender", running::close);
    return 0;
  }

  /**
   * Starts the informer (in the background: it does not wait for the API server) and the server,
   * which answers at once; closing the result closes {@code client} too.
   */
  Running start(KubernetesClient client) throws IOException {
    NodeSnapshotCaches caches = NodeSnapshotCaches.start(client);
    try {
      ExtenderServer server =
          ExtenderServer.builder(new SnapshotLocalityExtender(caches), caches)
              .listen(host, port)
              .readTimeout(readTimeout)
              .start();
      return new Running(client, caches, server);
    } catch (IOException | RuntimeException e) {
      caches.close();
      client.close();
      throw e;
    }
  }
}
