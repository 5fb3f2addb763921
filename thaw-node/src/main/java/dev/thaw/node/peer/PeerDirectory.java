package dev.thaw.node.peer;

import dev.thaw.core.function.Revision;
import java.util.List;

/** Which other agents hold a committed cache entry of a revision, to ask before storage. */
@FunctionalInterface
public interface PeerDirectory {
  /** The peers (never this node) that hold {@code revision}, in the order to ask them. */
  List<PeerEndpoint> holding(Revision revision);

  /** No peers: every chunk comes from local entries or storage. */
  static PeerDirectory none() {
    return revision -> List.of();
  }
}
