package dev.thaw.node.peer;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * What a node serves its peers: chunks by SHA-256, the start of a lazy restore of a revision, and
 * the revisions it holds.
 */
public interface HeldChunks {
  /**
   * The bytes of the chunk named {@code sha256}, checked against that name; empty when this node
   * holds no sound copy of it.
   */
  Optional<byte[]> read(String sha256) throws IOException;

  /**
   * The start of a lazy restore of {@code revision} ({@link StartBundle}), from a committed entry
   * pinned while it is read; empty when this node holds none that can give one.
   */
  default Optional<StartBundle> start(String revision) throws IOException {
    return Optional.empty();
  }

  /**
   * The body of {@code GET /peer/starts/{revision}}: {@link #start}, encoded ({@link
   * StartBundle#encode}); a holder may keep it encoded between requests.
   */
  default Optional<byte[]> startBody(String revision) throws IOException {
    Optional<StartBundle> start = start(revision);
    return start.isEmpty() ? Optional.empty() : Optional.of(start.get().encode());
  }

  /** The revisions whose committed entries this node holds. */
  List<String> revisions();
}
