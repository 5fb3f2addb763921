package dev.thaw.cli;

import dev.thaw.http.BearerToken;
import dev.thaw.node.gateway.Gateway;
import dev.thaw.node.gateway.GatewayServer;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code thaw gateway}: the front door in front of node agents. Its management routes and the
 * agents ask for one token: from {@code --token-file} or {@code THAW_TOKEN}, else the default data
 * directory's token file (made there if missing).
 */
@Command(
    name = "gateway",
    mixinStandardHelpOptions = true,
    description = "Routes invocations to warm instances and places cold starts on node agents.")
final class GatewayCommand implements Callable<Integer> {
  @Option(
      names = "--port",
      defaultValue = "${env:THAW_GATEWAY_PORT:-8080}",
      description = "HTTP port on 127.0.0.1 (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(
      names = "--node",
      required = true,
      description = "A node agent as NAME=URL, e.g. node-1=http://127.0.0.1:8700; repeatable.")
  Map<String, URI> nodes;

  @Mixin PlacementOption placement;

  @Mixin TokenOptions tokens;

  @Override
  public Integer call() throws Exception {
    BearerToken token = tokens.forServer(TokenOptions.defaultFile(System.getenv()));
    Gateway.Builder b = placement.applyTo(Gateway.builder().token(token));
    nodes.forEach(b::node);
    Gateway gateway = b.build();
    GatewayServer server = GatewayServer.start(gateway, port, token);
    System.out.printf(
        "thaw gateway: %s placement over %s, listening on %s%n",
        placement, nodes.keySet(), server.uri());
    Daemon.runUntilShutdown(
        "thaw-gateway",
        () -> {
          server.close();
          gateway.close();
        });
    return 0;
  }
}
