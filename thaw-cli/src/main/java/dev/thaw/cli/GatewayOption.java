package dev.thaw.cli;

import java.net.URI;
import picocli.CommandLine.Option;

/** The {@code --gateway} option of the commands that talk to a running gateway. */
final class GatewayOption {
  @Option(
      names = "--gateway",
      defaultValue = "${env:THAW_GATEWAY:-http://127.0.0.1:8080}",
      description = "The gateway's address (default: $THAW_GATEWAY, else ${DEFAULT-VALUE}).")
  URI gateway;

  GatewayClient client() {
    return new GatewayClient(gateway);
  }
}
