package dev.thaw.node.peer;

import java.util.Objects;

/**
 * Where an agent's peer edge listens, which is also the address its peers are given ({@code
 * --peer-address HOST[:PORT]}): an IPv4 address or host name of this machine, and a port ({@value
 * PeerServer#DEFAULT_PORT} when not given, 0 for any free one).
 */
public record PeerAddress(String host, int port) {
  public PeerAddress {
    Objects.requireNonNull(host, "host");
    if (host.isEmpty() || host.contains(":") || host.contains("/")) {
      throw new IllegalArgumentException("--peer-address is HOST[:PORT]: '" + host + "'");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be within 0..65535: " + port);
    }
  }

  /**
   * Parses {@code HOST[:PORT]}.
   *
   * @throws IllegalArgumentException when it is not of that form
   */
  public static PeerAddress parse(String hostPort) {
    String spec = Objects.requireNonNull(hostPort, "hostPort").strip();
    int colon = spec.lastIndexOf(':');
    if (colon < 0) {
      return new PeerAddress(spec, PeerServer.DEFAULT_PORT);
    }
    try {
      return new PeerAddress(spec.substring(0, colon), Integer.parseInt(spec.substring(colon + 1)));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--peer-address is HOST[:PORT]: '" + hostPort + "'", e);
    }
  }
}
