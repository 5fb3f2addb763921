package dev.thaw.core.snapshot;

import java.io.IOException;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * Garbage collection of a {@link SnapshotStore}: removes revisions unused for too long, then every
 * stored chunk that no snapshot references. Collection is safe while nodes upload: a chunk that an
 * upload in progress relies on is never deleted.
 */
public interface SnapshotCollector {
  /**
   * Collects garbage once.
   *
   * @param unusedFor delete revisions neither uploaded nor restored for this long; null keeps every
   *     revision
   * @param progress told of each phase as it completes, for people watching
   * @throws IOException when another collection is running, or storage fails
   */
  GcReport collectGarbage(Duration unusedFor, Consumer<String> progress) throws IOException;
}
