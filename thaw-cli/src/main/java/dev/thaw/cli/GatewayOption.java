package dev.thaw.cli;

import java.io.IOException;
import java.net.URI;
import java.util.Optional;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The {@code --gateway} option of the commands that talk to a running gateway, and the management
 * token they send ({@link TokenOptions}).
 */
final class GatewayOption {
  @Option(
      names = "--gateway",
      defaultValue = "${env:THAW_GATEWAY:-http://127.0.0.1:8080}",
      description = "The gateway's address (default: $THAW_GATEWAY, else ${DEFAULT-VALUE}).")
  URI gateway;

  @Mixin TokenOptions token;

  /**
   * A client of the gateway's management routes, which sends the token.
   *
   * @throws GatewayClient.Failure when no token can be found
   */
  GatewayClient client() throws GatewayClient.Failure {
    try {
      return new GatewayClient(gateway, Optional.of(token.forClient()));
    } catch (IOException e) {
      throw new GatewayClient.Failure(e.getMessage());
    }
  }

  /** A client of the invocation routes, which are open: it needs and sends no token. */
  GatewayClient invoker() {
    return new GatewayClient(gateway, Optional.empty());
  }
}
