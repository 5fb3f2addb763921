package dev.thaw.node.agent;

import dev.thaw.core.function.Revision;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.node.snapshot.fill.ManifestDigest;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The manifests of the snapshots this node made, by the digest their upload stores ({@link
 * ManifestDigest}): what the node reports in its status, so that the gateway can hand the digest to
 * the nodes that restore the snapshot and they can check a peer's start against it without asking
 * storage first. Only the maker reports a revision's digest: a node that merely holds a snapshot
 * has nothing to add to what its maker said.
 */
final class MadeManifests {
  private final Map<Revision, ManifestDigest> made = new ConcurrentHashMap<>();

  /** {@code revision}'s snapshot was made and committed here with {@code manifest}. */
  void made(Revision revision, SnapshotManifest manifest) {
    made.put(revision, ManifestDigest.of(manifest));
  }

  /** {@code revision} was deleted: its snapshot is gone, and a later one is another. */
  void forget(Revision revision) {
    made.remove(revision);
  }

  /** Revision to manifest SHA-256, in revision order. */
  Map<String, String> digests() {
    Map<String, String> out = new TreeMap<>();
    made.forEach((r, d) -> out.put(r.value(), d.sha256()));
    return out;
  }
}
