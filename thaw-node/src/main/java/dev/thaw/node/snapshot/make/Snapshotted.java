package dev.thaw.node.snapshot.make;

import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.vmm.MicroVm;
import java.util.Optional;

/**
 * What snapshotting a booted instance left behind.
 *
 * @param manifest the committed snapshot; empty when none was (already cached, too large, dead)
 * @param verifiedClone the clone restored from it to verify it, which has answered; the caller owns
 *     it
 */
public record Snapshotted(Optional<SnapshotManifest> manifest, Optional<MicroVm> verifiedClone) {
  /** Nothing made: no manifest, no verified clone. */
  public static Snapshotted none() {
    return new Snapshotted(Optional.empty(), Optional.empty());
  }
}
