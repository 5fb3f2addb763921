package dev.thaw.cli;

import dev.thaw.core.function.Revision;
import dev.thaw.kubernetes.NodeSnapshotCaches;
import dev.thaw.node.peer.PeerDirectory;
import dev.thaw.node.peer.PeerEndpoint;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.function.Function;

/**
 * The peers of one agent on Kubernetes: the other nodes whose {@code NodeSnapshotCache} objects
 * list a revision and carry a {@code spec.peerUrl}, from the informer view ({@code
 * NodeSnapshotCaches#peersHolding}), so no API call is made per restore. It lives here, where the
 * agent is assembled, because thaw-kubernetes does not depend on thaw-node.
 */
final class KubernetesPeerDirectory implements PeerDirectory {
  private final String self;
  private final Function<String, SortedMap<String, URI>> holding;

  /**
   * @param self this agent's node name, never its own peer
   * @param holding the peers holding a revision (named by its value), by node name
   */
  KubernetesPeerDirectory(String self, Function<String, SortedMap<String, URI>> holding) {
    this.self = Objects.requireNonNull(self, "self");
    this.holding = Objects.requireNonNull(holding, "holding");
  }

  /** The peers of agent {@code self} as the informer view {@code caches} names them. */
  static KubernetesPeerDirectory of(String self, NodeSnapshotCaches caches) {
    return new KubernetesPeerDirectory(self, caches::peersHolding);
  }

  @Override
  public List<PeerEndpoint> holding(Revision revision) {
    return holding.apply(revision.value()).entrySet().stream()
        .filter(e -> !e.getKey().equals(self))
        .map((Map.Entry<String, URI> e) -> new PeerEndpoint(e.getKey(), e.getValue()))
        .toList();
  }
}
