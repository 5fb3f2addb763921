package dev.thaw.node.snapshot;

import dev.thaw.core.snapshot.GuestMismatchException;
import dev.thaw.core.snapshot.SnapshotFormatException;
import dev.thaw.core.vmm.RestoreCorruptException;
import dev.thaw.core.vmm.RestoreIncompatibleException;
import dev.thaw.core.vmm.VmmException;
import dev.thaw.node.snapshot.cache.CacheWriteException;
import dev.thaw.node.snapshot.cache.LocalSnapshotCache;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a failed snapshot path means for a cold start that boots instead: the reason its {@link
 * ColdStart#fallback()} gives, and the cached snapshot that goes with it when it will never restore
 * here (made for another guest image, corrupt, incompatible, dead).
 */
final class Fallbacks {
  private static final Logger log = LoggerFactory.getLogger(Fallbacks.class);

  private final LocalSnapshotCache cache;
  private final DeadSnapshots dead;

  Fallbacks(LocalSnapshotCache cache, DeadSnapshots dead) {
    this.cache = cache;
    this.dead = dead;
  }

  /**
   * Why the snapshot path of {@code revision} failed with {@code e}, in one line; drops what will
   * never restore.
   */
  String reason(String revision, Exception e) {
    if (e instanceof Restorer.DeadSnapshotException d) {
      return dead.foundWhenRestoring(d.dead());
    }
    if (e instanceof Restorer.TooSlowException) {
      // Not the snapshot's fault: it stays cached, and the next cold start tries it again.
      return "restore too slow: " + e.getMessage() + "; the snapshot is kept";
    }
    if (e instanceof AfterRestoreFailedException) {
      return "the clone was stopped: " + e.getMessage();
    }
    if (e instanceof CacheWriteException) {
      return "local cache unusable: " + e.getMessage();
    }
    if (e instanceof IOException) {
      return "remote storage unusable: " + e.getMessage();
    }
    if (e instanceof SnapshotFormatException) {
      if (e instanceof GuestMismatchException) {
        // Made for another guest image (this node was upgraded): it will never restore here.
        cache.drop(revision, e.getMessage());
      }
      return "snapshot refused: " + e.getMessage();
    }
    if (e instanceof VmmException) {
      String first = e.getMessage().lines().findFirst().orElse("");
      if (e instanceof RestoreCorruptException || e instanceof RestoreIncompatibleException) {
        // The cached copy will never restore: drop it so the next cold start refetches.
        cache.drop(revision, e.getMessage().lines().findFirst().orElse("restore failed"));
      }
      return "restore failed: " + first;
    }
    log.error("unexpected failure on the snapshot path of {}", revision, e);
    return "unexpected error: " + e;
  }
}
