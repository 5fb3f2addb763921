package dev.thaw.cli;

import dev.thaw.kubernetes.ExtenderServer;
import dev.thaw.kubernetes.NodeSnapshotCaches;
import dev.thaw.kubernetes.SnapshotLocalityExtender;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code thaw extender}: the kube-scheduler extender for snapshot locality. */
@Command(
    name = "extender",
    mixinStandardHelpOptions = true,
    description = {
      "Serves kube-scheduler's prioritize verb: nodes caching the pod's revision score 10.",
      "Reads NodeSnapshotCache objects through an informer (in-cluster credentials)."
    })
final class ExtenderCommand implements Callable<Integer> {
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

  @Override
  public Integer call() throws Exception {
    KubernetesClient client = new KubernetesClientBuilder().build();
    NodeSnapshotCaches caches = NodeSnapshotCaches.start(client);
    ExtenderServer server =
        ExtenderServer.start(new SnapshotLocalityExtender(caches), caches::synced, host, port);
    System.out.printf("thaw extender: listening on %s:%d%n", host, port);
    Daemon.runUntilShutdown(
        "thaw-extender",
        () -> {
          server.close();
          caches.close();
          client.close();
        });
    return 0;
  }
}
