package dev.thaw.node.peer;

import java.net.URI;
import java.util.Objects;

/**
 * An agent that serves chunks to its peers.
 *
 * @param node the agent's node name
 * @param uri its peer base URL, e.g. {@code http://10.244.1.7:8701}: the routes of {@link
 *     PeerServer} are under it
 */
public record PeerEndpoint(String node, URI uri) {
  public PeerEndpoint {
    Objects.requireNonNull(node, "node");
    Objects.requireNonNull(uri, "uri");
  }
}
